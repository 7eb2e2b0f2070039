from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"

    def ready(self):
        from posts import invalidation  # noqa: F401  (connects the cache invalidation receivers)
