"""HTML views of the calendar (placeholder until the page lands)."""

from django.shortcuts import render


def calendar_page(request):
    return render(request, "deadlines/calendar.html", {})
