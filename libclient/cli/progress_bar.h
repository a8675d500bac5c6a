// Rendering of job progress: the live bar on a terminal and the plain line
// otherwise. Pure functions; the caller owns the terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "zenith/client/types.h"

namespace zenithctl {

// 0..100, rounded down (100 only when the job reports 1.0), clamped.
int percentOf(double progress);

// One line of exactly at most `width` columns (UTF-8 code points):
// "[#########-----------]  42% base-image Retrieving packages", the text
// cut with "…" when it does not fit; the bar shrinks on narrow terminals.
// Control characters in step/message become spaces so that the line can
// be redrawn with '\r'.
std::string renderProgressBar(const zenith::client::JobProgress& progress, size_t width);

// "progress 42% base-image Retrieving packages"
std::string plainProgressLine(const zenith::client::JobProgress& progress);

// Number of UTF-8 code points (our notion of a column).
size_t displayWidth(std::string_view text);

}  // namespace zenithctl
