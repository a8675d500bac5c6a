#include "progress_bar.h"

#include <cmath>

#include <fmt/format.h>

namespace zenithctl {
namespace {

bool isContinuationByte(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

std::string sanitize(std::string_view text)
{
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = ' ';
    return out;
}

// The first `columns` code points of `text`, never splitting one.
std::string_view prefixColumns(std::string_view text, size_t columns)
{
    size_t seen = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (isContinuationByte(text[i]))
            continue;
        if (seen == columns)
            return text.substr(0, i);
        ++seen;
    }
    return text;
}

std::string describe(const zenith::client::JobProgress& p)
{
    std::string step = sanitize(p.step), message = sanitize(p.message);
    if (step.empty())
        return message;
    if (message.empty())
        return step;
    return step + " " + message;
}

}  // namespace

int percentOf(double progress)
{
    if (!(progress > 0.0))  // also NaN
        return 0;
    if (progress >= 1.0)
        return 100;
    // 0.29 * 100 is 28.999999999999996: nudge before flooring.
    return std::min(99, static_cast<int>(std::floor(progress * 100.0 + 1e-9)));
}

size_t displayWidth(std::string_view text)
{
    size_t n = 0;
    for (char c : text)
        if (!isContinuationByte(c))
            ++n;
    return n;
}

std::string renderProgressBar(const zenith::client::JobProgress& p, size_t width)
{
    const int percent = percentOf(p.progress);
    std::string line;
    const size_t barCells = width >= 60 ? 20 : width >= 36 ? 10 : 0;
    if (barCells > 0) {
        const size_t filled = barCells * static_cast<size_t>(percent) / 100;
        line = "[" + std::string(filled, '#') + std::string(barCells - filled, '-') + "] ";
    }
    line += fmt::format("{:>3}%", percent);
    std::string text = describe(p);
    if (!text.empty())
        line += " " + text;
    if (displayWidth(line) <= width)
        return line;
    if (width == 0)
        return {};
    return std::string(prefixColumns(line, width - 1)) + "…";
}

std::string plainProgressLine(const zenith::client::JobProgress& p)
{
    std::string text = describe(p);
    return fmt::format("progress {}%{}{}", percentOf(p.progress), text.empty() ? "" : " ", text);
}

}  // namespace zenithctl
