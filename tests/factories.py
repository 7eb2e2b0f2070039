"""factory-boy factories, one per model."""

import factory
from django.contrib.auth.models import Permission
from factory.django import DjangoModelFactory

from accounts.models import Follow, User
from organization.models import Cadre, Department, Designation, Unit
from posts.models import Message, Post, PostExport


class CadreFactory(DjangoModelFactory):
    class Meta:
        model = Cadre

    name = factory.Sequence(lambda n: f"Cadre {n}")


class DesignationFactory(DjangoModelFactory):
    class Meta:
        model = Designation

    name = factory.Sequence(lambda n: f"Designation {n}")
    abbr = factory.Sequence(lambda n: f"D{n}")
    cadre = factory.SubFactory(CadreFactory)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Department {n}")
    abbr = factory.Sequence(lambda n: f"Dep{n}")
    kind = Department.Kind.DEPARTMENT


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"Unit {n}")
    abbr = factory.Sequence(lambda n: f"U{n}")
    department = factory.SubFactory(DepartmentFactory)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    full_name = factory.Faker("name")
    about_me = factory.Faker("sentence", nb_words=6)
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    """A staff member who may change the project's data, as one would be set up in the admin.

    `permissions`: the "app_label.codename" permissions they get; by default every permission of the
    accounts, posts and organization apps. `StaffFactory(permissions=[])`: staff status alone.
    """

    is_staff = True

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            granted = Permission.objects.filter(content_type__app_label__in=("accounts", "posts", "organization"))
        else:
            pairs = [name.split(".", 1) for name in extracted]
            granted = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in pairs]
        self.user_permissions.set(granted)


class FollowFactory(DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followed = factory.SubFactory(UserFactory)


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post

    body = factory.Faker("text", max_nb_chars=140)
    author = factory.SubFactory(UserFactory)


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    body = factory.Faker("text", max_nb_chars=140)
    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)


class PostExportFactory(DjangoModelFactory):
    class Meta:
        model = PostExport

    user = factory.SubFactory(UserFactory)
