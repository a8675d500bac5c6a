#include "proxmox_requests.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

namespace zenith::bench::pve {

using nlohmann::json;

namespace {

std::string text(const json& j, const char* key)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}

double number(const json& j, const char* key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// "/nodes/pve1/tasks/UPID:.../status" -> ("UPID:...", "status")
std::optional<std::pair<std::string, std::string>> taskPath(const std::string& rel)
{
    if (!rel.starts_with("/nodes/"))
        return std::nullopt;
    const size_t tasks = rel.find("/tasks/");
    if (tasks == std::string::npos)
        return std::nullopt;
    const size_t last = rel.rfind('/');
    if (last <= tasks + 7)
        return std::nullopt;
    std::string what = rel.substr(last + 1);
    if (what != "status" && what != "log")
        return std::nullopt;
    return std::pair{rel.substr(tasks + 7, last - tasks - 7), what};
}

}  // namespace

std::vector<ApiRequest> parseRequests(const json& list)
{
    std::vector<ApiRequest> out;
    if (!list.is_array())
        return out;
    for (const auto& j : list) {
        ApiRequest r;
        r.seq = j.value("seq", uint64_t{0});
        r.time = number(j, "time");
        r.duration = number(j, "duration");
        r.method = text(j, "method");
        r.path = text(j, "path");
        r.rel = text(j, "rel_path");
        if (r.rel.empty() && r.path.starts_with("/api2/json"))
            r.rel = r.path.substr(10);
        r.node = text(j, "exec_node");
        r.upid = text(j, "upid");
        r.reason = text(j, "reason");
        r.status = j.value("status", 0);
        r.params = j.contains("params") && j["params"].is_object() ? j["params"] : json::object();
        out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const ApiRequest& a, const ApiRequest& b) {
        return a.time != b.time ? a.time < b.time : a.seq < b.seq;
    });
    return out;
}

RequestKind classify(const ApiRequest& r)
{
    if (r.method == "GET" && taskPath(r.rel))
        return RequestKind::TaskPoll;
    if (r.method == "GET" && r.rel == "/cluster/resources" && !r.params.contains("type"))
        return RequestKind::Background;
    static const std::regex content(R"(/nodes/[^/]+/storage/[^/]+/content)");
    if (r.method == "GET" && std::regex_match(r.rel, content))
        return RequestKind::Background;
    return RequestKind::Api;
}

std::string shape(const ApiRequest& r)
{
    std::string rel = r.rel;
    if (auto t = taskPath(rel))
        return fmt::format("{} /nodes/{{node}}/tasks/{{upid}}/{}", r.method, t->second);
    static const std::regex node(R"(^/nodes/[^/]+)");
    rel = std::regex_replace(rel, node, "/nodes/{node}");
    static const std::regex vmid(R"(/(lxc|qemu)/[0-9]+)");
    rel = std::regex_replace(rel, vmid, "/$1/{vmid}");
    static const std::regex storage(R"(/storage/[^/]+)");
    rel = std::regex_replace(rel, storage, "/storage/{storage}");
    if (r.method == "GET" && r.params.contains("type"))
        rel += "?type=" + text(r.params, "type");
    return r.method + " " + rel;
}

std::optional<UpidFields> parseUpidText(const std::string& upid)
{
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t colon; (colon = upid.find(':', start)) != std::string::npos; start = colon + 1)
        f.push_back(upid.substr(start, colon - start));
    if (f.size() < 7 || f[0] != "UPID")
        return std::nullopt;
    return UpidFields{f[1], f[5], f[6]};
}

RequestWindow analyze(const std::vector<ApiRequest>& requests)
{
    RequestWindow w;
    std::map<std::string, size_t> taskIndex;  // upid -> w.tasks
    std::map<std::string, double> answeredAt;  // upid -> when the call that started it was answered
    std::map<std::string, double> lastStatus;  // upid -> when its last status poll was answered
    for (const auto& r : requests) {
        if (r.status < 200 || r.status > 299)
            ++w.failures[fmt::format("{} {} ({})", r.status, r.reason, shape(r))];
        const RequestKind kind = classify(r);
        if (kind == RequestKind::Background) {
            ++w.background;
            ++w.backgroundShapes[shape(r)];
            continue;
        }
        if (w.firstJobRequest == 0)
            w.firstJobRequest = r.time;
        w.lastJobAnswer = std::max(w.lastJobAnswer, r.answered());
        if (kind == RequestKind::Api) {
            ++w.api;
            ++w.apiShapes[shape(r)];
            if (!r.upid.empty() && !taskIndex.contains(r.upid)) {
                TaskPolls t;
                t.upid = r.upid;
                if (auto f = parseUpidText(r.upid))
                    t.type = f->type;
                taskIndex[r.upid] = w.tasks.size();
                answeredAt[r.upid] = r.answered();
                w.tasks.push_back(std::move(t));
            }
            continue;
        }
        auto t = taskPath(r.rel);
        const bool status = t->second == "status";
        status ? ++w.statusPolls : ++w.logReads;
        if (status) {
            lastStatus[t->first] = r.answered();
        } else if (auto s = lastStatus.find(t->first); s != lastStatus.end()) {
            w.statusToLogMs.push_back((r.time - s->second) * 1000.0);
            lastStatus.erase(s);
        }
        auto it = taskIndex.find(t->first);
        if (it == taskIndex.end())
            continue;  // a task started before the window
        TaskPolls& tp = w.tasks[it->second];
        if (!status) {
            ++tp.logReads;
            continue;
        }
        ++tp.statusPolls;
        const double ms = (r.time - answeredAt[t->first]) * 1000.0;
        if (!tp.firstPollMs)
            tp.firstPollMs = ms;
        tp.lastPollMs = ms;
    }
    return w;
}

}  // namespace zenith::bench::pve
