"""CertDesk (颁证工作台): the application factory, its command line, and `python app.py` to serve it."""
import argparse
import contextlib
import ctypes
import logging
import os
import queue
import secrets
import signal
import socket
import sys
import time
from logging.handlers import QueueHandler, QueueListener
from pathlib import Path

import click
from flask import Flask, abort, request, session
from flask_login import LoginManager, current_user, user_logged_in
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from waitress import serve
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from models import backup, demo, move, photo, restore_lock, setting
from models.catalog import Organisation
from models.db import close_all_connections, db, open_database
from models.job import start_dispatcher
from models.migrations import SchemaTooNew
from models.privacy import mask_id, mask_ids_in_text, mask_phone
from models.user import ROLE_LABELS, REVIEWER, User, UserError
from views import IdConverter, allowed_roles, can, render, row_url, session_end
from views.list_rows import kept, list_rows

ROOT = Path(__file__).resolve().parent
request_log = logging.getLogger("certdesk.request")
PR_SET_PDEATHSIG = 1  # prctl(2)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def create_app(config=None):
    """Build the app: settings from the environment (or `config`), the database opened and upgraded."""
    app = Flask(__name__, root_path=str(ROOT))
    data_dir = Path(os.environ.get("CERTDESK_DATA_DIR", ROOT / "instance")).resolve()
    app.config.update(
        DATA_DIR=str(data_dir),
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        SECRET_KEY=os.environ.get("SECRET_KEY", ""),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind an HTTPS proxy (docs/deployment.md) the session cookie must never travel in clear text.
        SESSION_COOKIE_SECURE=os.environ.get("CERTDESK_HTTPS", "") == "1",
        WTF_CSRF_TIME_LIMIT=None,
        # A file of the largest size the settings allow, plus the form around it (CSRF token, options).
        MAX_CONTENT_LENGTH=(setting.MAX_UPLOAD_MB + 1) * 1024 * 1024,
    )
    app.config.update(config or {})
    data_dir = Path(app.config["DATA_DIR"])
    # Database, photos, uploads and backups hold personal data: readable by the service user only.
    os.umask(0o077)
    data_dir.mkdir(parents=True, exist_ok=True)
    if data_dir.stat().st_uid == os.getuid() if hasattr(os, "getuid") else False:
        data_dir.chmod(0o700)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{data_dir / 'certdesk.db'}"
    if restore_lock.running(data_dir):
        # Before the database is opened: a start's schema check would create tables in the database the
        # restore is filling, and staff could write into a college half restored. Before the secret key is
        # made too: nothing is written into the directory being restored.
        raise StartRefused(f"颁证工作台未启动：restore 命令正在向数据目录 {data_dir} 恢复备份（它持有其中的 "
                           f"{restore_lock.LOCK_NAME}）。请等恢复结束后再启动")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _stored_secret_key(data_dir)

    open_database(app.config["DATABASE_URL"])
    with db.connection_context():
        try:
            models.init_schema()
        except SchemaTooNew as exc:
            raise StartRefused(f"颁证工作台未启动。{exc}。数据库：{move.masked(app.config['DATABASE_URL'])}") from exc
    restore_lock.remove_leftovers(data_dir)
    photo.remove_stale_temp_files(data_dir)

    Htmx(app)
    CSRFProtect(app)
    _init_login(app)
    # Every `<int:...>` id in a route is bounded by what a column holds (set before routes are added).
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _init_hooks(app)
    _init_errors(app)
    _init_cli(app)
    app.jinja_env.globals.update(can=can, row_url=row_url, list_rows=list_rows, kept=kept, actor=User.actor,
                                 ROLE_LABELS=ROLE_LABELS, NAV=NAV)
    app.jinja_env.filters.update(mask_id=mask_id, mask_phone=mask_phone)
    if os.environ.get("CERTDESK_PROXY", "") == "1":
        # Behind nginx every request comes from 127.0.0.1: the client's address (for the login throttle
        # and the audit log) is the one nginx adds to X-Forwarded-For. Trusted only when set, since a
        # client reaching CertDesk directly could write that header itself.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    return app


# The main navigation; each item shows only to the roles its view allows, once that view exists.
NAV = [
    ("首页", "dashboard.index"),
    ("考生管理", "candidates.index"),
    ("考核站点", "sites.index"),
    ("待颁证记录", "awards.index"),
    ("系统管理", "admin.index"),
]


class StartRefused(click.ClickException):
    """A start that must not go on, said to the administrator without a traceback: Flask's command line shows
    a ClickException's message alone, and so does main()."""

    # Not 1: the systemd unit in docs/deployment.md does not restart a service that ends with it, since each
    # retry would be refused the same way.
    exit_code = 3


def _stored_secret_key(data_dir):
    """A random key generated once and kept in the data directory, so sessions survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _init_login(app):
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = "请先登录"
    user_logged_in.connect(_session_begins, app, weak=False)

    @manager.user_loader
    def load_user(token):
        return User.from_token(token)


def _session_begins(sender, user):
    session["seen"] = int(time.time())
    session.pop("ended", None)  # why the session before ended: said until this login


def _register_blueprints(app):
    from views import admin, auth, dashboard
    for module in (auth, dashboard, admin):
        app.register_blueprint(module.bp)
    from views import candidates, confirm_queue
    app.register_blueprint(candidates.bp)
    app.register_blueprint(confirm_queue.bp)
    from views import imports
    app.register_blueprint(imports.bp)
    from views import photos
    app.register_blueprint(photos.bp)
    from views import catalog, quotas, sites, users
    for module in (sites, catalog, quotas, users):
        app.register_blueprint(module.bp)
    from views import awards, roster
    for module in (awards, roster):
        app.register_blueprint(module.bp)
    from views import health
    app.register_blueprint(health.bp)


def _init_hooks(app):
    @app.before_request
    def connect_and_check_access():
        view = app.view_functions.get(request.endpoint)
        if view is None or request.endpoint == "static" or getattr(view, "public", False):
            # Public views connect on their first query: /healthz must answer 503 itself when the
            # database is down, not fail here with an error page.
            return None
        db.connect(reuse_if_open=True)
        if not current_user.is_authenticated or session_end.idle_too_long():
            return session_end.to_login()
        if current_user.role not in allowed_roles(request.endpoint):
            abort(403)
        return None

    @app.teardown_request
    def close_db(exc):
        if not db.is_closed():
            db.close()

    @app.after_request
    def harden_and_log(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        # A search may put an ID number in the query string: the request log never shows it whole.
        request_log.info("%s %s %s %s", request.remote_addr, request.method,
                         mask_ids_in_text(request.full_path.rstrip("?")), response.status_code)
        return response


ERROR_MESSAGES = {
    400: "请求无效",
    401: "请先登录",
    403: "没有权限执行此操作",
    404: "页面不存在或无权查看",
    405: "不支持的请求方式",
    413: "上传的文件过大",  # upload_limit_message() names the limit
    500: "服务器内部错误，请稍后重试；如多次出现请联系院校管理员",
}


# The upload settings each area's files are held to: a file the server refused before reading it is named
# by the limit the user was told in that dialog.
UPLOAD_LIMITS = {"imports": "import_max_mb", "photos": "photo_zip_max_mb"}


def upload_limit_message():
    """What a 413 says: the size limit of the upload just refused, and what to do."""
    key = UPLOAD_LIMITS.get(request.blueprint)
    db.connect(reuse_if_open=True)  # the refusal may come before the request's own connection
    if key is not None:
        return f"上传的文件过大：不能超过 {setting.get(key)} MB，请拆分为多个文件分批上传"
    return f"上传的文件过大：服务器一次最多接收 {setting.MAX_UPLOAD_MB} MB"


def _init_errors(app):
    def error_page(code, message):
        if request.htmx:
            # htmx does not swap error responses; static/app.js shows this text as a notice.
            return message, code, {"Content-Type": "text/plain; charset=utf-8"}
        return render("errors/error.html", status=code, code=code, message=message)

    for code, message in ERROR_MESSAGES.items():
        app.register_error_handler(code, lambda exc, code=code, message=message: error_page(code, message))

    @app.errorhandler(413)
    def too_large(exc):
        return error_page(413, upload_limit_message())

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        if _needs_login():
            # The session ended (in another tab its CSRF secret went with it): the login page says so.
            return session_end.to_login()
        return error_page(400, "页面已过期（安全校验失败），请刷新页面后重试")

    def _needs_login():
        view = app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "public", False):
            return False
        db.connect(reuse_if_open=True)
        return not current_user.is_authenticated


def _init_cli(app):
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema."""
        with db.connection_context():
            before, after = models.init_schema()
        click.echo(f"数据库已就绪（结构版本 {after}）：{app.config['DATABASE_URL']}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(list(ROLE_LABELS)), required=True)
    @click.option("--org", "org_name", help="评价组织审核员所属的培训评价组织名称")
    @click.option("--password", help="不填则提示输入（不回显）")
    @click.option("--name", "display_name", default="", help="显示名称")
    def create_user(username, role, org_name, password, display_name):
        """Create a user (admin, staff or reviewer)."""
        with db.connection_context():
            organisation = None
            if org_name:
                organisation = Organisation.get_or_none(Organisation.name == org_name)
                if organisation is None:
                    raise click.ClickException(f"培训评价组织「{org_name}」不存在，请先在证书目录中添加")
            elif role == REVIEWER:
                raise click.ClickException("评价组织审核员必须用 --org 指定所属培训评价组织")
            if password is None:
                password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
            try:
                user = User.create_user(username, password, role, organisation, display_name)
            except UserError as exc:
                raise click.ClickException(f"{exc.problem}：{exc.fix}" if exc.fix else exc.problem)
        click.echo(f"已创建用户 {user.username}（{user.role_label}）")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Fill the database with a demo college; running it again adds nothing twice."""
        with db.connection_context():
            logins = demo.seed(app.config["DATA_DIR"])
        _print_logins(logins)

    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    def backup_command(dest):
        """Copy the database and photos into DEST while the app runs."""
        with db.connection_context():
            try:
                target = backup.run(app.config["DATA_DIR"], dest)
            except backup.BackupError as exc:
                raise click.ClickException(str(exc))
        click.echo(f"备份完成：{target}")

    @app.cli.command("restore")
    @click.argument("backup_dir", type=click.Path(exists=True, file_okay=False))
    def restore_command(backup_dir):
        """Restore a backup folder (DEST/certdesk-<date>-<time>) into an empty data directory and database."""
        with db.connection_context():
            try:
                tables = backup.restore(backup_dir, app.config["DATA_DIR"])
            except backup.BackupError as exc:
                raise click.ClickException(str(exc))
        rows = ", ".join(f"{table} {count}" for table, count in tables if count)
        click.echo(f"恢复完成：{rows}。照片和导入报告已复制到 {app.config['DATA_DIR']}；现在可以启动颁证工作台。")

    @app.cli.command("move-to")
    @click.argument("url")
    def move_to_command(url):
        """Copy every table into an empty PostgreSQL database (postgresql://...) and verify the copy."""
        with db.connection_context():
            try:
                tables = move.move_to(url)
            except move.MoveError as exc:
                raise click.ClickException(str(exc))
        for table, rows in tables:
            click.echo(f"  {table:<20} {rows:>9} 行  行数与校验和一致")
        click.echo(f"迁移完成：{len(tables)} 张表已复制到 {move.masked(url)} 并逐表校验。下一步：\n"
                   f"  1. 停止颁证工作台；\n"
                   f"  2. 在服务的环境中设置 DATABASE_URL={move.masked(url)}（*** 处为本次命令中的密码）；\n"
                   f"  3. 重新启动。照片和导入报告仍在数据目录 {app.config['DATA_DIR']}，无需移动；\n"
                   f"     原 SQLite 文件 {db.database} 未改动，确认运行无误前请保留。")


def _print_logins(logins):
    if not logins:
        return
    click.echo("演示账号（也保存在数据目录的 demo-logins.txt，仅供演示使用）：")
    for username, role, password in logins:
        click.echo(f"  {ROLE_LABELS[role]:<8} 用户名 {username:<12} 密码 {password}")


MAX_DEFAULT_WORKERS = 4  # a college's office is served by a few; more cores are asked for with --workers


def default_workers():
    """Server processes when none are asked for: on Linux one per core the process may run on, at most
    MAX_DEFAULT_WORKERS; one elsewhere (Windows has no fork; macOS's fork without exec is fragile). One
    process of 8 threads uses about one core, and under load spent a third of its CPU handing Python's lock
    between threads (89 requests/s on 2 cores, 2 processes 242)."""
    if not (sys.platform.startswith("linux") and hasattr(os, "fork")):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_DEFAULT_WORKERS))


def main(argv=None):
    """`python app.py [--host H] [--port P] [--demo] [--workers N]`: serve CertDesk with waitress."""
    parser = argparse.ArgumentParser(description="颁证工作台 CertDesk")
    parser.add_argument("--host", default=os.environ.get("CERTDESK_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CERTDESK_PORT", "5000")))
    parser.add_argument("--demo", action="store_true", help="首次启动时填充演示院校数据并显示演示账号")
    parser.add_argument("--threads", type=int, default=8, help="每个服务进程的线程数（默认 8）")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CERTDESK_WORKERS") or default_workers()),
                        help="服务进程数（默认每个 CPU 核一个，最多 4 个；Windows 等没有 fork 的系统只能为 1，见 docs/deployment.md）")
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers 和 --threads 至少为 1")
    if args.workers > 1 and not hasattr(os, "fork"):
        parser.error("此系统不能用 --workers 启动多个进程：请按 docs/deployment.md 运行多个服务（各用一个端口）并由 nginx 分发")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    # Created once, before any process is forked: the schema is upgraded by this one process only.
    try:
        app = create_app()
    except StartRefused as exc:
        exc.show()
        raise SystemExit(exc.exit_code)
    compile_templates(app)
    # A status request may wait for its job (models/job.py, Job.wait): at most half the threads do.
    app.config["JOBS_MAX_WAITERS"] = max(1, args.threads // 2)
    with db.connection_context():
        has_users = User.select().exists()
        if args.demo and not has_users:
            demo.seed(app.config["DATA_DIR"])
    if args.demo:
        _print_logins(demo.saved_logins(app.config["DATA_DIR"]))
    url = f"http://{args.host}:{args.port}/"
    processes = f"，{args.workers} 个服务进程" if args.workers > 1 else ""
    click.echo(f"颁证工作台已启动：{url}（每个进程 {args.threads} 个线程{processes}）")
    click.echo(f"数据目录：{app.config['DATA_DIR']}")
    if not has_users and not args.demo:
        click.echo("尚无用户：请在浏览器中打开上面的地址，创建第一个院校管理员账号。")
    click.echo("按 Ctrl+C 停止。")
    if args.workers == 1:
        start_dispatcher(app)
        writer = log_from_one_thread()
        try:
            serve(app, host=args.host, port=args.port, threads=args.threads, ident="CertDesk")
        finally:
            writer.stop()
    else:
        serve_processes(app, socket.create_server((args.host, args.port), backlog=1024), args.workers,
                        args.threads)


def compile_templates(app):
    """Compile every template before serving, and before forking, so that the processes share them: else the
    first request for each page after a start compiled its templates (~0.8 s for all of them; the first
    import's result showed ~0.1 s later)."""
    for name in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(name)


def log_from_one_thread():
    """Let the server's threads queue their log records for one thread that writes them, and return that
    writer (stop() it to write what is left). Each waitress thread writing its request line under the
    handler's lock cost ~3 ms of CPU a request under load (threads queueing on the lock and the GIL, 71
    requests/s where 109 without the line); queueing a record costs microseconds."""
    root, records = logging.getLogger(), queue.SimpleQueue()
    writer = QueueListener(records, *root.handlers, respect_handler_level=True)
    root.handlers = [QueueHandler(records)]
    writer.start()
    return writer


def serve_processes(app, listener, workers, threads):
    """Serve `listener` from `workers` forked processes, each with waitress's threads and its own job
    dispatcher (jobs are claimed once across them). A process that dies is replaced; Ctrl+C or SIGTERM
    stops them all, and a child whose parent is gone stops too."""
    children, stopping, parent = set(), [], os.getpid()

    def spawn():
        # SIGTERM held back from the check to the child's being known: stop() arriving in between would miss the
        # new child, and a child would run its inherited stop() instead of ending.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            if stopping:
                return
            close_all_connections()
            pid = os.fork()
            if pid == 0:
                serve_child()  # never returns
            children.add(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})

    def serve_child():
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            die_with_parent(parent)
            writer = log_from_one_thread()
            try:
                start_dispatcher(app)
                serve(app, sockets=[listener], threads=threads, ident="CertDesk")
                code = 0
            except KeyboardInterrupt:
                code = 0
            except BaseException:
                logging.getLogger("certdesk").exception("服务进程异常退出")
            finally:
                writer.stop()  # writes what is queued
        finally:
            os._exit(code)

    def stop(signum=None, frame=None):
        stopping.append(True)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)  # before the first fork: a SIGTERM then must not orphan a child
    for _ in range(workers):
        spawn()
    try:
        while children:
            pid, status = os.wait()
            children.discard(pid)
            if not stopping:
                logging.getLogger("certdesk").warning("服务进程 %s 已退出（状态 %s），1 秒后重新启动", pid, status)
                time.sleep(1)
                spawn()  # unless a SIGTERM came meanwhile: no one would stop the new one
    except KeyboardInterrupt:
        stop()
        for pid in list(children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def die_with_parent(parent):
    """Linux: have the kernel stop this forked child when `parent` dies, even by SIGKILL. An orphan would
    keep the port and go on claiming jobs with settings its parent's successor no longer has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
            failed = os.strerror(ctypes.get_errno())
            logging.getLogger("certdesk").warning("无法设置服务进程随主进程退出（prctl）：%s", failed)
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(0)


if __name__ == "__main__":
    main()
