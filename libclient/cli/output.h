// Everything zenithctl prints about a job and its outcome, in its three
// modes: a live bar on a terminal, plain lines otherwise, JSON lines with
// --json. Streams are injected so that tests can read the output.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "exit_codes.h"
#include "zenith/client/error.h"
#include "zenith/client/types.h"

namespace zenithctl {

enum class OutputMode { Terminal, Plain, Json };

class Output {
public:
    Output(OutputMode mode, bool quiet, std::ostream& out, std::ostream& err, size_t width = 80);

    OutputMode mode() const { return mode_; }
    void submitted(uint32_t job, const std::string& jobPath, const std::string& operation, const std::string& machine,
                   const std::string& machinePath);
    void progress(uint32_t job, const zenith::client::JobProgress& p);
    // Clears the bar (if any), prints the result, returns the exit code.
    ExitCode result(const zenith::client::JobResult& r);
    ExitCode error(const zenith::client::Error& e);
    std::ostream& out() { return out_; }

private:
    void clearBar();
    OutputMode mode_;
    bool quiet_;
    std::ostream& out_;
    std::ostream& err_;
    size_t width_;
    bool barShown_ = false;
};

}  // namespace zenithctl
