// Plain-text tables for list/jobs/images: left-aligned columns two spaces
// apart, the last column unpadded, an empty cell shown as "-".
#pragma once

#include <string>
#include <vector>

namespace zenithctl {

std::string formatTable(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

}  // namespace zenithctl
