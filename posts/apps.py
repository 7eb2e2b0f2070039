from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"

    def ready(self):
        from posts import counting, exports, invalidation  # noqa: F401  (connect their receivers)
