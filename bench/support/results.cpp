#include "support/results.h"

#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace zenith::bench {

void appendRecord(const std::string& path, const Record& r)
{
    nlohmann::json j{{"group", r.group}, {"op", r.op},           {"who", r.who},
                     {"unit", r.unit},   {"samples", r.samples}, {"note", r.note}};
    std::ofstream f(path, std::ios::app);
    if (!f)
        throw std::runtime_error("cannot append to " + path);
    f << j.dump() << '\n';
}

std::vector<Record> loadRecords(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        throw std::runtime_error("cannot read " + path);
    std::vector<Record> out;
    for (std::string line; std::getline(f, line);) {
        if (line.empty())
            continue;
        auto j = nlohmann::json::parse(line);
        Record r;
        r.group = j.at("group");
        r.op = j.at("op");
        r.who = j.at("who");
        r.unit = j.value("unit", "ms");
        r.samples = j.at("samples").get<std::vector<double>>();
        r.note = j.value("note", "");
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace zenith::bench
