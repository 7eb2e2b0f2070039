from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("avatar/<int:pk>.svg", views.avatar, name="avatar"),
]
