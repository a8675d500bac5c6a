// The API requests the Proxmox simulator recorded (GET /requests of its
// control API), sorted into what the benchmark counts: the calls a job
// makes, the task polls it makes while a task runs, and the daemon's
// cluster refreshes (its background read of the whole cluster: every 30 s,
// and soon after each job that changed the cluster).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zenith::bench::pve {

struct ApiRequest {
    uint64_t seq = 0;
    double time = 0;      // seconds since the epoch, when the simulator began to handle it
    double duration = 0;  // seconds until its answer was sent
    std::string method, path, rel, node, upid, reason;
    int status = 0;
    nlohmann::json params;

    double answered() const { return time + duration; }
};

// The simulator's /requests answer, in the order the requests arrived.
std::vector<ApiRequest> parseRequests(const nlohmann::json& list);

enum class RequestKind {
    Api,         // everything a job asks that is not a task poll
    TaskPoll,    // GET /nodes/N/tasks/UPID/status or .../log
    Background,  // the cluster refresh: GET /cluster/resources (no type), GET .../storage/S/content
};
RequestKind classify(const ApiRequest& r);

// "GET /cluster/resources?type=vm", "POST /nodes/{node}/lxc/{vmid}/clone",
// "GET /nodes/{node}/tasks/{upid}/status": a request without its ids.
std::string shape(const ApiRequest& r);

// The fields of a UPID ("UPID:pve1:0001A2B3:...:vzclone:9000:root@pam!zenith:").
struct UpidFields {
    std::string node, type, id;
};
std::optional<UpidFields> parseUpidText(const std::string& upid);

// What happened to one task the daemon started: how soon it asked first,
// how often it asked.
struct TaskPolls {
    std::string type;  // vzclone, vzstart, ...
    std::string upid;
    // From the answer to the call that started the task (UPID returned)
    // to the arrival of the first status poll; nullopt without any poll.
    std::optional<double> firstPollMs;
    unsigned statusPolls = 0;
    unsigned logReads = 0;
    // From the answer with the UPID to the status poll that saw the task
    // end (the last one).
    std::optional<double> lastPollMs;
};

struct RequestWindow {
    unsigned api = 0, statusPolls = 0, logReads = 0, background = 0;
    std::map<std::string, unsigned> apiShapes, backgroundShapes;
    // Answers other than 2xx: "500 CT is locked (disk)" -> count.
    std::map<std::string, unsigned> failures;
    std::vector<TaskPolls> tasks;
    // Arrival of the first and answer of the last request that is not a
    // background one (seconds since the epoch); 0 when there was none.
    double firstJobRequest = 0, lastJobAnswer = 0;
    // A task's status poll answered (simulator clock) -> the log read the
    // daemon sends right after it arrives: what one request costs beyond
    // the simulator's handler when the daemon does not wait in between.
    std::vector<double> statusToLogMs;

    unsigned taskPolls() const { return statusPolls + logReads; }
};
RequestWindow analyze(const std::vector<ApiRequest>& requests);

}  // namespace zenith::bench::pve
