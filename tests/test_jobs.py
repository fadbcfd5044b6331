"""Background jobs: outcomes recorded on the row, interrupted jobs failed on restart."""
from models.job import DONE, FAILED, RUNNING, Job, JobError, start


def run_inline(app, work):
    app.config["JOBS_INLINE"] = True
    job = Job.create(kind="test")
    with app.test_request_context():
        start(job, work)
    return Job.get_by_id(job.id)


def test_finished_job_keeps_its_result(app):
    def work(job):
        job.report(3, total=3)
        return {"已更新": 3}
    job = run_inline(app, work)
    assert (job.status, job.data, job.percent) == (DONE, {"已更新": 3}, 100)


def test_job_error_fails_with_its_message(app):
    def work(job):
        raise JobError("文件不是有效的 ZIP 压缩包")
    job = run_inline(app, work)
    assert (job.status, job.message) == (FAILED, "文件不是有效的 ZIP 压缩包")


def test_unexpected_error_fails_without_leaking_details(app):
    def work(job):
        raise KeyError("secret")
    job = run_inline(app, work)
    assert job.status == FAILED and "secret" not in job.message and "内部错误" in job.message


def test_job_of_a_dead_process_is_marked_failed_but_a_live_one_is_kept(app):
    import os
    import socket
    dead = Job.create(kind="test", status=RUNNING, worker=f"{socket.gethostname()}:99999999")
    alive = Job.create(kind="test", status=RUNNING, worker=f"{socket.gethostname()}:{os.getppid()}")
    assert Job.mark_interrupted() == 1
    assert Job.get_by_id(dead.id).status == FAILED and "服务器重启" in Job.get_by_id(dead.id).message
    assert Job.get_by_id(alive.id).status == RUNNING
