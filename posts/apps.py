from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PostsConfig(AppConfig):
    name = "posts"

    def ready(self):
        from posts import counting, exports, invalidation  # noqa: F401  (connect their receivers)

        post_migrate.connect(counting.slots_restored, sender=self, dispatch_uid="posts.counting.slots_restored")
