from django.http import HttpResponse


def home(request):
    return HttpResponse("ok")


def audit_log(request):
    return HttpResponse("ok")
