#include "zenithctl_run.h"

#include <sstream>

namespace zenith::bustest {

using nlohmann::json;

std::vector<std::string> zenithctlArgv(const TestUser& user, const std::vector<std::string>& args,
                                       const std::vector<std::string>& env)
{
    std::vector<std::string> argv = {"setpriv", "--reuid=" + std::to_string(user.uid),
                                     "--regid=" + std::to_string(user.gid), "--init-groups"};
    if (!env.empty()) {
        argv.push_back("env");
        argv.insert(argv.end(), env.begin(), env.end());
    }
    argv.push_back(ZENITHCTL_PATH);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

ProgramResult zenithctlAs(const TestUser& user, const std::vector<std::string>& args,
                          const std::vector<std::string>& env, const std::optional<std::string>& input)
{
    return runProgram(zenithctlArgv(user, args, env), rootUser(), std::chrono::seconds(600), input);
}

json lastJson(const std::string& out)
{
    auto end = out.find_last_not_of('\n');
    if (end == std::string::npos) {
        return json();
    }
    auto begin = out.rfind('\n', end);
    begin = begin == std::string::npos ? 0 : begin + 1;
    return json::parse(out.substr(begin, end + 1 - begin), nullptr, false);
}

std::vector<json> jsonEvents(const std::string& out, const std::string& event)
{
    std::vector<json> events;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        auto parsed = json::parse(line, nullptr, false);
        if (parsed.is_object() && parsed.value("event", "") == event) {
            events.push_back(std::move(parsed));
        }
    }
    return events;
}

}  // namespace zenith::bustest
