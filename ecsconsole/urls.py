from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path

urlpatterns = [
    path("", lambda request: redirect("clusters:list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("clusters.urls")),
]

# A missing page is still a console page: top bar, breadcrumb, one sentence, a way back.
handler404 = "clusters.views.page_not_found"
