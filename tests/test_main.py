"""`python app.py`: serves with waitress, seeds a demo college with --demo, prints what to do next."""
import pytest

import app as app_module
from models.db import db
from models.job import stop_dispatcher
from models.migrations import CURRENT_VERSION, SchemaVersion
from models.user import User


def test_first_start_prints_url_and_how_to_begin(monkeypatch, tmp_path, capsys):
    served = {}
    monkeypatch.setenv("CERTDESK_WORKERS", "1")
    monkeypatch.setenv("CERTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: served.update(kw, app=app))
    app_module.main(["--port", "5055"])
    out = capsys.readouterr().out
    assert served["host"] == "127.0.0.1" and served["port"] == 5055
    # Every page's template is compiled before the first request asks for it.
    environment = served["app"].jinja_env
    compiled = {template.name for template in environment.cache.values()}
    assert {"candidates/list.html", "imports/dialog.html", "base.html"} <= compiled
    assert compiled >= set(environment.list_templates(extensions=["html"]))
    assert "http://127.0.0.1:5055/" in out and "创建第一个院校管理员" in out
    assert (tmp_path / "data" / "secret_key").exists() and (tmp_path / "data" / "certdesk.db").exists()
    stop_dispatcher()


def test_demo_start_seeds_once_and_prints_logins_every_time(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("CERTDESK_WORKERS", "1")
    monkeypatch.setenv("CERTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: None)
    app_module.main(["--demo"])
    first = capsys.readouterr().out
    app_module.main(["--demo"])
    second = capsys.readouterr().out
    for out in (first, second):
        assert "演示账号" in out and "admin" in out and "reviewer" in out
    with db.connection_context():
        assert User.select().count() == 4
    stop_dispatcher()


def test_workers_are_refused_where_processes_cannot_be_forked(monkeypatch, tmp_path, capsys):
    monkeypatch.delattr(app_module.os, "fork")
    with pytest.raises(SystemExit):
        app_module.main(["--workers", "2"])
    assert "docs/deployment.md" in capsys.readouterr().err


@pytest.mark.parametrize("platform, cores, processes", [("linux", 2, 2), ("linux", 16, 4), ("linux", 0, 1),
                                                         ("win32", 8, 1), ("darwin", 8, 1)])
def test_by_default_one_process_per_core_on_linux(monkeypatch, tmp_path, capsys, platform, cores, processes):
    started = {}
    monkeypatch.delenv("CERTDESK_WORKERS", raising=False)
    monkeypatch.setenv("CERTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(app_module.sys, "platform", platform)
    # The cores this process may run on (taskset, a container's limit), not all the machine has.
    monkeypatch.setattr(app_module.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(app_module.os, "cpu_count", lambda: 64)
    if platform == "win32":
        monkeypatch.delattr(app_module.os, "fork", raising=False)
    else:
        monkeypatch.setattr(app_module.os, "fork", lambda: pytest.fail("forked"), raising=False)
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: started.update(processes=1, **kw))
    monkeypatch.setattr(app_module, "serve_processes",
                        lambda app, listener, workers, threads: started.update(processes=workers, listener=listener))
    app_module.main(["--port", "0"])
    assert started["processes"] == processes
    if processes > 1:
        started["listener"].close()
        assert f"{processes} 个服务进程" in capsys.readouterr().out
    stop_dispatcher()


def test_an_explicit_number_of_processes_wins_over_the_cores(monkeypatch, tmp_path):
    started = {}
    monkeypatch.setenv("CERTDESK_WORKERS", "1")
    monkeypatch.setenv("CERTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(app_module.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: started.update(processes=1))
    app_module.main([])
    assert started == {"processes": 1}
    stop_dispatcher()


def test_a_start_on_the_database_of_a_newer_certdesk_says_what_to_do_and_serves_nothing(app, app_config, monkeypatch,
                                                                                         capsys):
    SchemaVersion.update(version=CURRENT_VERSION + 1).execute()
    db.close()
    monkeypatch.setenv("CERTDESK_DATA_DIR", app_config["DATA_DIR"])
    monkeypatch.setenv("DATABASE_URL", app_config["DATABASE_URL"])
    monkeypatch.setattr(app_module, "serve", lambda app, **kw: pytest.fail("served"))
    monkeypatch.setattr(app_module, "serve_processes", lambda *args: pytest.fail("served"))
    with pytest.raises(SystemExit) as stopped:
        app_module.main(["--port", "0"])
    assert stopped.value.code == 3
    out, err = capsys.readouterr()
    assert f"颁证工作台未启动。数据库的结构版本是 {CURRENT_VERSION + 1}" in err and "Traceback" not in err
    assert "已启动" not in out
