// zenithctl --json: one JSON object per line. Progress events, then one
// result (or error) object; list/show/jobs/images print one document.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zenith/client/error.h"
#include "zenith/client/types.h"

namespace zenithctl {

// {"event":"submitted","job":7,"path":"...","operation":"create","machine":"web1","machine_path":"..."}
nlohmann::json submittedEvent(uint32_t job, const std::string& jobPath, const std::string& operation,
                              const std::string& machine, const std::string& machinePath);
// {"event":"progress","job":7,"progress":0.42,"step":"...","message":"..."}
nlohmann::json progressEvent(uint32_t job, const zenith::client::JobProgress& p);
// {"event":"result","job":7,"operation":"create","machine":"web1","result":"done",
//  "message":"...","error_name":"","error_message":"","exit_code":0}
nlohmann::json resultEvent(const zenith::client::JobResult& r);
// {"event":"error","error_name":"...","kind":"Busy","error_message":"...","exit_code":6}
nlohmann::json errorEvent(const zenith::client::Error& e);

nlohmann::json toJson(const zenith::client::MachineInfo& m);
nlohmann::json toJson(const std::vector<zenith::client::MachineSummary>& rows);
nlohmann::json toJson(const std::vector<zenith::client::JobSummary>& rows);
nlohmann::json toJson(const std::vector<zenith::client::ImageInfo>& rows);

}  // namespace zenithctl
