#include "dbus/job_object.h"

#include <algorithm>

#include "core/log.h"
#include "core/names.h"
#include "core/text_quote.h"
#include "dbus/error_map.h"

namespace zenith::dbus {

namespace {

int stateRank(core::JobState s)
{
    switch (s) {
    case core::JobState::Queued: return 0;
    case core::JobState::Running: return 1;
    default: return 2;
    }
}

// Job text comes from drivers, which quote tenants and remote services: it
// must be valid UTF-8 or sd-bus refuses the property, the signal and the
// reply that carry it. The engine already cleans what it stores; this also
// covers rows written by an older daemon.
core::JobSnapshot busSafe(core::JobSnapshot s)
{
    s.machine = core::toSingleLine(s.machine, 255);
    s.step = core::toSingleLine(s.step, 255);
    s.message = core::toValidUtf8(s.message);
    s.errorName = core::toSingleLine(s.errorName, 255);
    s.errorMessage = core::toValidUtf8(s.errorMessage);
    return s;
}

}  // namespace

std::vector<std::string> changedJobStateProperties(const core::JobSnapshot& a, const core::JobSnapshot& b)
{
    std::vector<std::string> out;
    if (a.state != b.state) out.emplace_back("State");
    const bool cancelableA = a.cancelable && !core::isFinished(a.state);
    const bool cancelableB = b.cancelable && !core::isFinished(b.state);
    if (cancelableA != cancelableB) out.emplace_back("Cancelable");
    if (a.errorName != b.errorName) out.emplace_back("ErrorName");
    if (a.errorMessage != b.errorMessage) out.emplace_back("ErrorMessage");
    return out;
}

std::vector<std::string> changedJobProgressProperties(const core::JobSnapshot& a, const core::JobSnapshot& b)
{
    std::vector<std::string> out;
    if (a.progress != b.progress) out.emplace_back("Progress");
    if (a.step != b.step) out.emplace_back("Step");
    if (a.message != b.message) out.emplace_back("Message");
    return out;
}

core::JobSnapshot mergeJobSnapshot(const core::JobSnapshot& current, const core::JobSnapshot& incoming)
{
    if (stateRank(incoming.state) < stateRank(current.state))
        return current;
    if (core::isFinished(current.state) && incoming.state != current.state)
        return current;
    core::JobSnapshot out = busSafe(incoming);
    out.progress = std::max(current.progress, incoming.progress);
    return out;
}

JobObject::JobObject(sdbus::IConnection& connection, busloop::EventLoop& loop, core::JobSnapshot snapshot,
                     CancelHandler onCancel)
    : AdaptorInterfaces(connection, core::jobObjectPath(snapshot.id)),
      loop_(loop),
      onCancel_(std::move(onCancel)),
      current_(busSafe(std::move(snapshot))),
      shown_(current_)
{
    registerAdaptor();
}

JobObject::~JobObject()
{
    unregisterAdaptor();
}

std::string JobObject::ErrorName()
{
    return busErrorNameForJob(current_.errorName);
}

void JobObject::update(const core::JobSnapshot& incoming)
{
    const core::JobSnapshot before = current_;
    current_ = mergeJobSnapshot(current_, incoming);
    auto changed = changedJobStateProperties(before, current_);
    if (!changed.empty())
        emitPropertiesChangedSignal(kJobInterface, changed);
    if (changedJobProgressProperties(before, current_).empty())
        return;
    const auto now = ProgressCoalescer::Clock::now();
    if (current_.step != shown_.step) {
        // A new step always goes out at once: steps can be shorter than the
        // rate limit (a btrfs clone takes milliseconds) and clients follow
        // them. The limit holds within a step, so a job still sends about
        // ten signals a second plus one per step (five for a create).
        progressTimer_.cancel();
        coalescer_.emittedNow(now);
        emitProgress();
        return;
    }
    switch (coalescer_.offer(now)) {
    case ProgressCoalescer::Decision::EmitNow:
        emitProgress();
        break;
    case ProgressCoalescer::Decision::Schedule:
        progressTimer_ = loop_.addTimer(
            std::chrono::duration_cast<std::chrono::microseconds>(coalescer_.delay(now)), [this] {
                if (coalescer_.flush(ProgressCoalescer::Clock::now()))
                    emitProgress();
            });
        break;
    case ProgressCoalescer::Decision::AlreadyScheduled:
        break;
    }
}

void JobObject::emitProgress()
{
    auto changed = changedJobProgressProperties(shown_, current_);
    if (!changed.empty())
        emitPropertiesChangedSignal(kJobInterface, changed);
    emitProgressChanged(current_.progress, current_.step, current_.message);
    shown_ = current_;
    progressSignalled_ = true;
}

void JobObject::finish(const core::JobSnapshot& snapshot)
{
    if (completed_)
        return;
    update(snapshot);
    progressTimer_.cancel();
    // The final values always go out, even inside the rate limit.
    const bool held = coalescer_.flush(ProgressCoalescer::Clock::now());
    if (held || !progressSignalled_ || !changedJobProgressProperties(shown_, current_).empty())
        emitProgress();
    completed_ = true;
    emitCompleted(std::string(current_.result()), busErrorNameForJob(current_.errorName), current_.errorMessage);
}

void JobObject::Cancel(sdbus::Result<>&& result)
{
    auto reply = makeReply(std::move(result), "Job.Cancel");
    onCancel_(current_.id, reply, currentCaller(getObject()));
}

}  // namespace zenith::dbus
