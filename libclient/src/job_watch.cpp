#include "job_watch.h"

#include <fmt/format.h>

#include "sdbus_error.h"

namespace zenith::client::detail {
namespace {

constexpr const char* kJobInterface = "org.zenith.Provisioner.Job";
constexpr const char* kManagerInterface = "org.zenith.Provisioner.Manager";
// Without any signal for this long the waiter re-reads the job: it notices a
// vanished job or a lost connection instead of trusting signals forever.
constexpr auto kPollInterval = std::chrono::seconds(5);

bool isFinishedState(std::string_view s)
{
    return s == "done" || s == "failed" || s == "cancelled";
}

// What the bus answers when a path has no (job) object any more.
bool isGoneError(const Error& e)
{
    return e.name == "org.freedesktop.DBus.Error.UnknownObject" ||
           e.name == "org.freedesktop.DBus.Error.UnknownInterface" ||
           e.name == "org.freedesktop.DBus.Error.UnknownMethod" || e.kind == ErrorKind::NoSuchJob;
}

JobOutcome outcomeOf(std::string_view result)
{
    if (result == "done")
        return JobOutcome::Done;
    if (result == "cancelled")
        return JobOutcome::Cancelled;
    return JobOutcome::Failed;
}

}  // namespace

class JobWatch::JobProxy final
    : public sdbus::ProxyInterfaces<org::zenith::Provisioner::Job_proxy, sdbus::Properties_proxy> {
public:
    JobProxy(sdbus::IConnection& connection, const std::string& path, JobWatch& watch)
        : ProxyInterfaces(connection, kBusName, path), watch_(watch)
    {
        registerProxy();
    }
    ~JobProxy() { unregisterProxy(); }

private:
    void onProgressChanged(const double& progress, const std::string& step, const std::string& message) override
    {
        watch_.onProgress(progress, step, message);
    }
    void onCompleted(const std::string& result, const std::string& name, const std::string& message) override
    {
        watch_.onCompleted(result, name, message);
    }
    void onPropertiesChanged(const std::string& interface, const std::map<std::string, sdbus::Variant>& changed,
                             const std::vector<std::string>&) override
    {
        if (interface == kJobInterface)
            watch_.onProperties(changed);
    }
    JobWatch& watch_;
};

JobWatch::JobWatch(std::shared_ptr<Session> session, uint32_t id, std::string path)
    : session_(std::move(session)), id_(id), path_(std::move(path))
{
    status_.id = id_;
    status_.path = path_;
    session_->ensureEventLoop();
    auto& connection = session_->connection();

    // The daemon leaving the bus ends every wait.
    busSignals_ = sdbus::createProxy(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    busSignals_->uponSignal("NameOwnerChanged")
        .onInterface("org.freedesktop.DBus")
        .call([this](const std::string& name, const std::string&, const std::string& newOwner) {
            if (name == kBusName && newOwner.empty())
                onDaemonLeft();
        });
    busSignals_->finishRegistration();

    // JobRemoved covers a daemon that drops the job object without Completed.
    managerSignals_ = sdbus::createProxy(connection, kBusName, kRootPath);
    managerSignals_->uponSignal("JobRemoved")
        .onInterface(kManagerInterface)
        .call([this](const uint32_t& jobId, const sdbus::ObjectPath&, const std::string& result) {
            onJobRemoved(jobId, result);
        });
    managerSignals_->finishRegistration();

    jobProxy_ = std::make_unique<JobProxy>(connection, path_, *this);
}

JobWatch::~JobWatch()
{
    jobProxy_.reset();
    managerSignals_.reset();
    busSignals_.reset();
}

void JobWatch::onProgress(double progress, const std::string& step, const std::string& message)
{
    std::lock_guard lock(mutex_);
    pending_.push_back(JobProgress{progress, step, message});
    wake_.notify_all();
}

void JobWatch::onCompleted(const std::string& result, const std::string& errorName, const std::string& errorMessage)
{
    std::lock_guard lock(mutex_);
    completion_ = Completion{result, errorName, errorMessage};
    wake_.notify_all();
}

void JobWatch::onProperties(const VariantMap& changed)
{
    std::lock_guard lock(mutex_);
    applyJobProperties(status_, changed);
    if (isFinishedState(status_.state))
        finishedSeen_ = true;
    if (changed.contains("Progress") || changed.contains("Step") || changed.contains("Message"))
        pending_.push_back(JobProgress{status_.progress, status_.step, status_.message});
    wake_.notify_all();
}

void JobWatch::onJobRemoved(uint32_t id, const std::string& result)
{
    if (id != id_)
        return;
    std::lock_guard lock(mutex_);
    removedResult_ = result;
    wake_.notify_all();
}

void JobWatch::onDaemonLeft()
{
    std::lock_guard lock(mutex_);
    daemonLeft_ = true;
    wake_.notify_all();
}

Result<void> JobWatch::refresh()
{
    auto props = guarded([&] { return jobProxy_->GetAll(kJobInterface); });
    if (!props)
        return std::unexpected(props.error());
    std::lock_guard lock(mutex_);
    applyJobProperties(status_, *props);
    if (isFinishedState(status_.state))
        finishedSeen_ = true;
    return {};
}

void JobWatch::deliver(const ProgressCallback& cb, const JobProgress& p)
{
    // Signals and property reads may arrive out of order; the contract says
    // progress never decreases, so an older value is dropped, not shown.
    if (delivered_) {
        if (p.progress < delivered_->progress)
            return;
        if (p.progress == delivered_->progress && p.step == delivered_->step && p.message == delivered_->message)
            return;
    }
    delivered_ = p;
    if (cb)
        cb(p);
}

Result<JobResult> JobWatch::finish()
{
    std::optional<Completion> completion;
    {
        std::lock_guard lock(mutex_);
        completion = completion_;
    }
    // Completed carries the error; the properties carry the final Message
    // (a DRY_RUN plan). Re-read them; a job already gone keeps what we have.
    (void)refresh();
    std::lock_guard lock(mutex_);
    JobResult r;
    r.id = id_;
    r.path = path_;
    r.operation = status_.operation;
    r.machine = status_.machine;
    r.message = status_.message;
    if (completion) {
        r.result = completion->result;
        r.errorName = completion->errorName;
        r.errorMessage = completion->errorMessage;
    } else {
        r.result = isFinishedState(status_.state) ? status_.state : removedResult_.value_or("failed");
        r.errorName = status_.errorName;
        r.errorMessage = status_.errorMessage;
    }
    r.outcome = outcomeOf(r.result);
    r.errorKind = r.errorName.empty() ? ErrorKind::Other : errorKindFromName(r.errorName);
    if (r.outcome == JobOutcome::Cancelled && r.errorName.empty())
        r.errorKind = ErrorKind::Cancelled;
    return r;
}

Result<JobResult> JobWatch::whenGone()
{
    // The object is gone, but the daemon's job list may still know the result.
    auto rows = guarded([&] { return session_->manager().ListJobs(); });
    if (rows) {
        for (const auto& row : *rows) {
            if (row.get<0>() != id_ || !isFinishedState(row.get<3>()))
                continue;
            JobResult r;
            r.id = id_;
            r.path = path_;
            r.operation = row.get<1>();
            r.machine = row.get<2>();
            r.result = row.get<3>();
            r.outcome = outcomeOf(r.result);
            r.errorKind = r.outcome == JobOutcome::Cancelled ? ErrorKind::Cancelled : ErrorKind::Other;
            if (r.outcome == JobOutcome::Failed)
                r.errorMessage = "the job object is gone; its error details are no longer available";
            return r;
        }
    }
    return std::unexpected(makeError(
        ErrorKind::NoSuchJob,
        fmt::format("job {} is not on the bus (it never existed, or it finished and was removed; finished jobs stay "
                    "readable for about 30 s)",
                    id_)));
}

Result<JobResult> JobWatch::run(const ProgressCallback& onProgress, std::chrono::milliseconds timeout)
{
    using Clock = std::chrono::steady_clock;
    const auto deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();

    if (auto first = refresh(); !first) {
        if (isGoneError(first.error()))
            return whenGone();
        return std::unexpected(first.error());
    }
    {
        JobProgress initial;
        {
            std::lock_guard lock(mutex_);
            initial = JobProgress{status_.progress, status_.step, status_.message};
        }
        deliver(onProgress, initial);
    }

    for (;;) {
        std::deque<JobProgress> batch;
        bool done = false, left = false, timedOut = false, poll = false;
        {
            std::unique_lock lock(mutex_);
            auto ready = [&] {
                return !pending_.empty() || completion_ || finishedSeen_ || removedResult_ || daemonLeft_;
            };
            const auto wakeAt = std::min(deadline, Clock::now() + kPollInterval);
            if (!wake_.wait_until(lock, wakeAt, ready)) {
                if (Clock::now() >= deadline)
                    timedOut = true;
                else
                    poll = true;
            }
            batch.swap(pending_);
            done = completion_ || finishedSeen_ || removedResult_;
            left = daemonLeft_;
        }
        for (const auto& p : batch)
            deliver(onProgress, p);
        if (done)
            return finish();
        if (left)
            return std::unexpected(makeError(
                ErrorKind::Disconnected,
                fmt::format("the provisioner left the bus while job {} was running; its outcome is unknown", id_)));
        if (timedOut)
            return std::unexpected(makeError(
                ErrorKind::Timeout, fmt::format("job {} did not finish within {} s; it keeps running", id_,
                                                std::chrono::duration<double>(timeout).count())));
        if (poll) {
            if (auto again = refresh(); !again) {
                if (isGoneError(again.error()))
                    return whenGone();
                return std::unexpected(again.error());
            }
            std::lock_guard lock(mutex_);
            pending_.push_back(JobProgress{status_.progress, status_.step, status_.message});
        }
    }
}

}  // namespace zenith::client::detail
