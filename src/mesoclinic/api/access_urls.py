from django.urls import path

from mesoclinic.api import access_views as views

app_name = "access"
urlpatterns = [
    path("", views.access_mine_view, name="mine"),
    path("all/", views.access_all_view, name="all"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("feeds/<int:feed_id>/revoke/", views.feed_revoke_view, name="feed_revoke"),
]
