#include "drivers/nspawn/debootstrap_progress.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace zenith::drivers::nspawn {

namespace {

// debootstrap's phases in the order it runs them, each weighted by its
// share of a typical minbase run here (downloads and dpkg dominate), so the
// overall fraction moves at a roughly even pace.
struct Phase {
    std::string_view name;
    double weight;
};
constexpr std::array kPhases = {
    Phase{"DOWNREL", 1},    Phase{"DOWNRELSIG", 1}, Phase{"DOWNPKGS", 6},     Phase{"DOWNMAINPKGS", 0},
    Phase{"SIZEDEBS", 1},   Phase{"DOWNDEBS", 22},  Phase{"EXTRACTPKGS", 14}, Phase{"INSTCORE", 6},
    Phase{"UNPACKREQ", 12}, Phase{"CONFREQ", 12},   Phase{"UNPACKBASE", 10},  Phase{"CONFBASE", 15},
};

constexpr double totalWeight()
{
    double t = 0;
    for (const auto& p : kPhases)
        t += p.weight;
    return t;
}

// Fraction of the whole run at `share` (0..1) through `phase`; -1 if unknown.
double overall(std::string_view phase, double share)
{
    double before = 0;
    for (const auto& p : kPhases) {
        if (p.name == phase)
            return (before + p.weight * std::clamp(share, 0.0, 1.0)) / totalWeight();
        before += p.weight;
    }
    return -1;
}

bool isCode(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::vector<std::string_view> split(std::string_view s)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ')
            ++i;
        size_t j = s.find(' ', i);
        if (j == std::string_view::npos)
            j = s.size();
        if (j > i)
            out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

std::optional<double> number(std::string_view s)
{
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
        return std::nullopt;
    return static_cast<double>(v);
}

std::string trimmed(std::string s)
{
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

}  // namespace

std::string renderDebootstrapFormat(std::string_view fmt, const std::vector<std::string>& args)
{
    std::string out;
    size_t next = 0;
    for (size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] == '%' && i + 1 < fmt.size() && fmt[i + 1] == 's') {
            if (next < args.size())
                out += args[next++];
            ++i;
        } else if (fmt[i] == '%' && i + 1 < fmt.size() && fmt[i + 1] == '%') {
            out += '%';
            ++i;
        } else {
            out += fmt[i];
        }
    }
    return trimmed(std::move(out));
}

bool DebootstrapProgress::setFraction(double f)
{
    // Only BASESUCCESS completes the run; phases may overshoot (`P: 34 33`).
    f = std::min(f, succeeded_ ? 1.0 : 0.99);
    if (f <= fraction_)
        return false;
    fraction_ = f;
    return true;
}

bool DebootstrapProgress::setMessage(std::string m)
{
    if (m.empty() || m == message_)
        return false;
    message_ = std::move(m);
    return true;
}

bool DebootstrapProgress::enterPhase(std::string_view phase, double now, double end)
{
    phase_ = std::string(phase);
    double f = overall(phase, end > 0 ? now / end : 0);
    return f >= 0 && setFraction(f);
}

bool DebootstrapProgress::feed(std::string_view line)
{
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    auto colon = line.find(": ");
    std::string_view tag = colon == std::string_view::npos ? line : line.substr(0, colon);
    std::string_view rest = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 2);
    if (colon == std::string_view::npos && line.size() >= 2 && line.back() == ':') {  // "IA:" with empty arg
        tag = line.substr(0, line.size() - 1);
        rest = {};
    }

    if (tag == "P") {
        auto w = split(rest);
        if (w.size() < 2)
            return false;
        auto now = number(w[0]), end = number(w[1]);
        if (!now || !end)
            return false;
        recordKind_ = 'P';
        args_.clear();
        // `P: now end` without a name continues the current phase (wget's progress).
        return enterPhase(w.size() >= 3 ? w[2] : std::string_view(phase_), *now, *end);
    }
    if (tag == "I" || tag == "E" || tag == "W") {
        if (!isCode(rest))
            return feedPlain(line);
        recordKind_ = tag[0];
        args_.clear();
        bool changed = false;
        if (tag == "I" && rest == "BASESUCCESS") {
            succeeded_ = true;
            changed = setFraction(1.0);
        }
        return changed;
    }
    if (tag == "PA" || tag == "IA" || tag == "EA" || tag == "WA") {
        args_.emplace_back(rest);
        return false;
    }
    if (tag == "PF" || tag == "IF") {
        // The phase text ("Downloading packages") is the fallback; the info
        // line ("Retrieving libc6 2.36") is the more useful message.
        bool changed = setMessage(renderDebootstrapFormat(rest, args_));
        args_.clear();
        return changed;
    }
    if (tag == "EF") {
        error_ = renderDebootstrapFormat(rest, args_);
        args_.clear();
        return false;
    }
    return false;
}

bool DebootstrapProgress::feedPlain(std::string_view line)
{
    std::string_view tag = line.substr(0, 1);
    std::string_view text = line.size() > 3 ? line.substr(3) : std::string_view();
    if (tag == "E") {
        error_ = std::string(text);
        return false;
    }
    if (tag != "I")
        return false;

    struct Marker {
        std::string_view prefix, phase;
    };
    // Plain mode has no counters: each known line moves to its phase's start.
    static constexpr std::array kMarkers = {
        Marker{"Retrieving InRelease", "DOWNREL"},    Marker{"Retrieving Release", "DOWNREL"},
        Marker{"Checking Release signature", "DOWNRELSIG"}, Marker{"Retrieving Packages", "DOWNPKGS"},
        Marker{"Resolving dependencies", "SIZEDEBS"},  Marker{"Found ", "SIZEDEBS"},
        Marker{"Retrieving ", "DOWNDEBS"},            Marker{"Validating ", "DOWNDEBS"},
        Marker{"Extracting ", "EXTRACTPKGS"},         Marker{"Installing core packages", "INSTCORE"},
        Marker{"Unpacking required packages", "UNPACKREQ"}, Marker{"Configuring required packages", "CONFREQ"},
        Marker{"Unpacking the base system", "UNPACKBASE"},  Marker{"Configuring the base system", "CONFBASE"},
    };
    bool changed = setMessage(std::string(text));
    if (text.starts_with("Base system installed successfully")) {
        succeeded_ = true;
        return setFraction(1.0) || changed;
    }
    for (const auto& m : kMarkers) {
        if (text.starts_with(m.prefix)) {
            phase_ = std::string(m.phase);
            return setFraction(overall(m.phase, 0)) || changed;
        }
    }
    return changed;
}

}  // namespace zenith::drivers::nspawn
