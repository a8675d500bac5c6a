#include "zenith/client/job.h"

#include <charconv>

#include "convert.h"
#include "job_watch.h"
#include "sdbus_error.h"
#include "session.h"

namespace zenith::client {

uint32_t jobIdFromPath(std::string_view path)
{
    constexpr std::string_view prefix = "/org/zenith/Provisioner/job/";
    if (!path.starts_with(prefix))
        return 0;
    auto digits = path.substr(prefix.size());
    uint32_t id = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size())
        return 0;
    return id;
}

Job::Job(std::shared_ptr<detail::Session> session, uint32_t id, std::string path)
    : session_(std::move(session)), id_(id), path_(std::move(path))
{
}

Result<JobStatus> Job::status() const
{
    auto props = detail::guarded([&] {
        // A plain proxy without registration: one call, no match rules.
        auto proxy = sdbus::createProxy(session_->connection(), kBusName, path_);
        detail::VariantMap map;
        proxy->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string("org.zenith.Provisioner.Job"))
            .storeResultsTo(map);
        return map;
    });
    if (!props) {
        auto e = props.error();
        if (e.name == "org.freedesktop.DBus.Error.UnknownObject" || e.name == "org.freedesktop.DBus.Error.UnknownMethod" ||
            e.name == "org.freedesktop.DBus.Error.UnknownInterface")
            return std::unexpected(
                makeError(ErrorKind::NoSuchJob, "job " + std::to_string(id_) + " is not on the bus: " + e.message));
        return std::unexpected(e);
    }
    return detail::jobFromProperties(*props, path_);
}

Result<void> Job::cancel() const
{
    return detail::guarded([&] { session_->manager().CancelJob(id_); });
}

Result<JobResult> Job::wait(const ProgressCallback& onProgress, std::chrono::milliseconds timeout) const
{
    std::unique_ptr<detail::JobWatch> watch;
    auto subscribed = detail::guarded([&] { watch = std::make_unique<detail::JobWatch>(session_, id_, path_); });
    if (!subscribed)
        return std::unexpected(subscribed.error());
    return watch->run(onProgress, timeout);
}

}  // namespace zenith::client
