from django.urls import path

from organization import views

urlpatterns = [
    path("organization/", views.directory, name="directory"),
    path("organization/department/<int:pk>/", views.department_detail, name="department"),
    path("organization/unit/<int:pk>/", views.unit_detail, name="unit"),
]
