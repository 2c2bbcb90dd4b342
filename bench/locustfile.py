"""Locust scenario of bench_load (not a test): county staff at work — dashboard, lists with filters, a case
opened from the list, and a form saved (现场补录 of a pre-application) — each followed by a 5 s think time.

Users log in as `load_staff_<n>` (created by bench_load) with LOAD_PASSWORD; each gets a unique ID range.
The measurement starts when the last of the LOAD_USERS users has logged in (statistics reset then: Argon2
logins are not browsing) and lasts LOAD_SECONDS; every page request's time (and each login's) is written to
LOAD_TIMES_FILE at the end, so that the harness computes the p95 over all pages, not an average of per-page figures."""

import itertools
import json
import os
import re

import gevent
from locust import HttpUser, between, events, task
from stdnum.cn import ric

PASSWORD = os.environ["LOAD_PASSWORD"]
USERS = int(os.environ.get("LOAD_USERS", "200"))
_numbers = itertools.count()
_serial = itertools.count(1)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_DETAIL = re.compile(r'href="/applications/(\d+)/"')
MEASURE_SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
LOGINS = ("login", "login page")
_state = {"logged_in": 0, "measuring": False, "times": [], "logins": []}


def _everyone_logged_in(environment) -> None:
    environment.runner.stats.reset_all()
    _state["times"].clear()
    _state["measuring"] = True
    gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


@events.request.add_listener
def _record(name, response_time, **_kwargs):
    if name == "login":
        _state["logins"].append(response_time)
    elif _state["measuring"] and name not in LOGINS:
        _state["times"].append(response_time)


@events.quitting.add_listener
def _write_times(**_kwargs):
    path = os.environ.get("LOAD_TIMES_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"pages": _state["times"], "logins": _state["logins"]}, out)


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
        _state["logged_in"] += 1
        if _state["logged_in"] == USERS:
            _everyone_logged_in(self.environment)

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
