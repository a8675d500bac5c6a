#include "output.h"

#include <fmt/format.h>

#include "json_events.h"
#include "progress_bar.h"

namespace zenithctl {

Output::Output(OutputMode mode, bool quiet, std::ostream& out, std::ostream& err, size_t width)
    : mode_(mode), quiet_(quiet), out_(out), err_(err), width_(width)
{
}

void Output::submitted(uint32_t job, const std::string& jobPath, const std::string& operation,
                       const std::string& machine, const std::string& machinePath)
{
    if (mode_ == OutputMode::Json) {
        out_ << submittedEvent(job, jobPath, operation, machine, machinePath).dump() << '\n' << std::flush;
        return;
    }
    if (!quiet_)
        out_ << fmt::format("job {} {} {} {}\n", job, operation, machine, jobPath) << std::flush;
}

void Output::progress(uint32_t job, const zenith::client::JobProgress& p)
{
    switch (mode_) {
    case OutputMode::Json:
        out_ << progressEvent(job, p).dump() << '\n' << std::flush;
        return;
    case OutputMode::Plain:
        if (!quiet_)
            out_ << plainProgressLine(p) << '\n' << std::flush;
        return;
    case OutputMode::Terminal:
        if (quiet_)
            return;
        // \033[K clears what a longer previous line left behind.
        out_ << '\r' << renderProgressBar(p, width_ > 0 ? width_ - 1 : 0) << "\033[K" << std::flush;
        barShown_ = true;
        return;
    }
}

void Output::clearBar()
{
    if (barShown_) {
        out_ << "\r\033[K" << std::flush;
        barShown_ = false;
    }
}

ExitCode Output::result(const zenith::client::JobResult& r)
{
    clearBar();
    const ExitCode code = exitCodeFor(r);
    if (mode_ == OutputMode::Json) {
        out_ << resultEvent(r).dump() << '\n' << std::flush;
        return code;
    }
    const std::string what = fmt::format("{} {}", r.operation, r.machine);
    switch (r.outcome) {
    case zenith::client::JobOutcome::Done:
        if (!quiet_)
            out_ << what << ": done" << (r.message.empty() ? "" : " — " + r.message) << '\n';
        break;
    case zenith::client::JobOutcome::Cancelled:
        err_ << what << ": cancelled\n";
        break;
    case zenith::client::JobOutcome::Failed:
        err_ << fmt::format("zenithctl: {} failed: {}{}\n", what,
                            r.errorMessage.empty() ? std::string("no reason given") : r.errorMessage,
                            r.errorName.empty() ? "" : " [" + r.errorName + "]");
        break;
    }
    out_ << std::flush;
    return code;
}

ExitCode Output::error(const zenith::client::Error& e)
{
    clearBar();
    if (mode_ == OutputMode::Json) {
        out_ << errorEvent(e).dump() << '\n' << std::flush;
    } else {
        err_ << "zenithctl: " << e.message << (e.name.empty() ? "" : " [" + e.name + "]") << '\n' << std::flush;
    }
    return exitCodeFor(e.kind);
}

}  // namespace zenithctl
