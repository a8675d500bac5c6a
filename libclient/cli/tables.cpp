#include "tables.h"

#include <algorithm>

#include "progress_bar.h"

namespace zenithctl {

std::string formatTable(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows)
{
    auto cell = [](const std::vector<std::string>& row, size_t i) -> std::string {
        return i < row.size() && !row[i].empty() ? row[i] : "-";
    };
    std::vector<size_t> widths(headers.size());
    for (size_t i = 0; i < headers.size(); ++i) {
        widths[i] = displayWidth(headers[i]);
        for (const auto& row : rows)
            widths[i] = std::max(widths[i], displayWidth(cell(row, i)));
    }
    std::string out;
    auto emit = [&](const std::vector<std::string>& row, bool header) {
        for (size_t i = 0; i < headers.size(); ++i) {
            std::string text = header ? headers[i] : cell(row, i);
            out += text;
            if (i + 1 < headers.size())
                out += std::string(widths[i] - displayWidth(text) + 2, ' ');
        }
        out += '\n';
    };
    emit(headers, true);
    for (const auto& row : rows)
        emit(row, false);
    return out;
}

}  // namespace zenithctl
