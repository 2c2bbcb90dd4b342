"""Locust scenario of bench_load (not a test): county staff at work — dashboard, lists with filters, a case
opened from the list, and a form saved (现场补录 of a pre-application) — each followed by a 5 s think time.

Users log in as `load_staff_<n>` (created by bench_load) with LOAD_PASSWORD; each gets a unique ID range."""

import itertools
import os
import re

from locust import HttpUser, between, task
from stdnum.cn import ric

PASSWORD = os.environ["LOAD_PASSWORD"]
USERS = int(os.environ.get("LOAD_USERS", "200"))
_numbers = itertools.count()
_serial = itertools.count(1)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_DETAIL = re.compile(r'href="/applications/(\d+)/"')


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


class CountyStaff(HttpUser):
    wait_time = between(5, 5)

    def on_start(self):
        self.number = next(_numbers) % USERS
        self.username = f"load_staff_{self.number}"
        self.county_code = os.environ["LOAD_COUNTIES"].split(",")[self.number % 4]
        page = self.client.get("/accounts/login/", name="login page")
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
            name="login",
        )

    @task(3)
    def dashboard(self):
        self.client.get("/", name="dashboard")

    @task(4)
    def application_list_and_case(self):
        page = self.client.get("/applications/?status=&q=", name="application list")
        found = _DETAIL.findall(page.text)
        if found:
            self.client.get(f"/applications/{found[len(found) // 2]}/", name="application detail")

    @task(2)
    def lists(self):
        self.client.get("/students/", name="student list")
        self.client.get("/pre-applications/", name="pre-application list")

    @task(1)
    def save_a_form(self):
        page = self.client.get("/pre-applications/add/", name="pre-application form")
        serial = next(_serial) + self.number * 100_000
        body = f"{self.county_code}2007{(serial // 28) % 12 + 1:02d}{serial % 28 + 1:02d}{serial % 1000:03d}"
        id_number = body + ric.calc_check_digit(body)
        with self.client.post(
            "/pre-applications/add/",
            {
                "csrfmiddlewaretoken": _csrf(page.text),
                "year": os.environ["LOAD_YEAR"],
                "name": f"压测学生{serial}",
                "id_number": id_number,
                "basis": "school_certified",
                "high_school": "第一中学",
                "phone": "",
                "note": "",
            },
            name="pre-application save",
            catch_response=True,
        ) as response:
            if response.status_code >= 400 or "完成预申请" not in response.text:
                response.failure(f"HTTP {response.status_code}: not saved")
