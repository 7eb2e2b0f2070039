from django.urls import path

from posts import views

urlpatterns = [
    path("", views.index, name="index"),
    path("explore/", views.explore, name="explore"),
    path("search/", views.search, name="search"),
    path("send_message/<str:username>/", views.send_message, name="send_message"),
    path("messages/", views.message_list, name="messages"),
    path("notifications/", views.notifications, name="notifications"),
    path("export/", views.export_start, name="export_start"),
]
