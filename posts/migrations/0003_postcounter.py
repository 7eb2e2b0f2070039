from django.db import migrations, models

SLOTS = 8  # posts.counting.SLOTS when this migration was written


def count_posts(apps, schema_editor):
    """The counter starts at the number of posts there are (posts.counting keeps it from then on)."""
    Post, PostCounter = apps.get_model("posts", "Post"), apps.get_model("posts", "PostCounter")
    alias = schema_editor.connection.alias
    total = Post.objects.using(alias).count()
    PostCounter.objects.using(alias).bulk_create(
        [PostCounter(slot=slot, posts=total if slot == 0 else 0) for slot in range(SLOTS)]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_postexport"),
    ]

    operations = [
        migrations.CreateModel(
            name="PostCounter",
            fields=[
                ("slot", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("posts", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_posts, migrations.RunPython.noop, elidable=True),
    ]
