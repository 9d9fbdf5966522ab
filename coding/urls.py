from django.urls import path

from coding import views

app_name = "coding"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.card, name="card"),
    path("sammel/", views.batch, name="batch"),
]
