// Turns debootstrap's output into a progress fraction and a human message.
// With --debian-installer it writes a protocol to fd 3: `P: now end PHASE`
// (+ `PA:` args, `PF:` format) for progress, `I: CODE` / `IA:` / `IF:` for
// info, `E:`/`EA:`/`EF:` for errors. Without it only plain `I: Retrieving
// ...` lines exist; those are understood too, with coarser steps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zenith::drivers::nspawn {

class DebootstrapProgress {
public:
    // One line of fd 3 (or of stderr in plain mode). True when fraction or
    // message changed.
    bool feed(std::string_view line);

    double fraction() const { return fraction_; }  // 0..1, never decreasing; 1 only when done
    const std::string& message() const { return message_; }
    const std::string& phase() const { return phase_; }   // e.g. "DOWNDEBS"
    bool succeeded() const { return succeeded_; }
    const std::string& lastError() const { return error_; }  // "" when none reported

private:
    bool setFraction(double f);
    bool setMessage(std::string m);
    bool enterPhase(std::string_view phase, double now, double end);
    bool feedPlain(std::string_view text);

    double fraction_ = 0.0;
    std::string message_;
    std::string phase_;
    std::string error_;
    bool succeeded_ = false;

    // The record being assembled: `X: CODE`, then `XA:` args, then `XF:`.
    char recordKind_ = 0;
    std::vector<std::string> args_;
};

// "%s" placeholders filled from args in order (debootstrap's printf formats).
std::string renderDebootstrapFormat(std::string_view fmt, const std::vector<std::string>& args);

}  // namespace zenith::drivers::nspawn
