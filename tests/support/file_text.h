// A test's look at a file: its whole content, "" when it cannot be read.
#pragma once

#include <filesystem>
#include <string>

namespace zenith::testsupport {

std::string readText(const std::filesystem::path& path);

}  // namespace zenith::testsupport
