"""Production settings: no default secret; `check --deploy --fail-level WARNING` clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "loanportal.settings.production", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_clean_with_production_settings():
    result = run_check(
        {
            "DJANGO_SECRET_KEY": "k8#Qz!p2Lm9@Xv4Rt7&Yw1*Bn6^Hc3(Jd5)Fg0-Sa8+Ue2=Io7?Pl4",
            "DJANGO_ALLOWED_HOSTS": "loans.example.gov.cn",
            "AUDIT_HMAC_KEY": "Vq3!xN8@rT5#mK2$wL9%pB4^hJ7&cF1*dG6(",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_secret():
    result = run_check({"DJANGO_ALLOWED_HOSTS": "loans.example.gov.cn"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
