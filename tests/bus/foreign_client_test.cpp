// Clients the project did not write: python3-dbus sees the job signals,
// busctl sees the API with argument names and can call it as the automation
// user. This is what panels and scripts written against the contract rely on.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "daemon_view.h"
#include "sandbox_env.h"

namespace zenith::bustest {
namespace {

using nlohmann::json;

TEST(ForeignClient, PythonDbusSeesJobSignals)
{
    const std::string name = "signal-box";
    MachineCleanup cleanup(name);
    BackgroundProgram watcher({"/usr/bin/python3", ZENITH_WATCH_SIGNALS_PY, "--machine", name, "--timeout", "600"},
                              automationUser());
    auto ready = watcher.readLine(std::chrono::seconds(30));
    ASSERT_TRUE(ready.has_value()) << "watcher never got ready: " << watcher.stderrText();
    ASSERT_EQ(json::parse(*ready).value("event", ""), "ready");

    std::string created = runAs(automationUser(), [&] {
        auto made = connectClient().create(name, "nspawn", bookwormSpec(), client::kFlagNoStart);
        if (!made) {
            return callErrorText(made.error());
        }
        return std::to_string(made->job.id()) + " " + outcomeText(made->job.wait({}, std::chrono::minutes(10)));
    });
    auto space = created.find(' ');
    ASSERT_NE(space, std::string::npos) << created;
    ASSERT_EQ(created.substr(space + 1), "done");
    const uint32_t id = static_cast<uint32_t>(std::stoul(created.substr(0, space)));
    const std::string jobPath = "/org/zenith/Provisioner/job/" + std::to_string(id);

    std::vector<json> events;
    while (auto line = watcher.readLine(std::chrono::seconds(60))) {
        events.push_back(json::parse(*line));
    }
    ASSERT_EQ(watcher.wait(std::chrono::seconds(10)), 0) << "no Completed seen; stderr: " << watcher.stderrText();

    bool jobNew = false, completed = false, stateChanged = false;
    std::vector<double> progress;
    for (const auto& e : events) {
        const std::string signal = e.value("signal", "");
        const std::string path = e.value("path", "");
        if (signal == "JobNew" && e["args"][0] == id && e["args"][1] == jobPath) {
            jobNew = true;
        }
        if (path != jobPath) {
            continue;
        }
        if (signal == "ProgressChanged") {
            progress.push_back(e["args"][0].get<double>());
            EXPECT_FALSE(e["args"][1].get<std::string>().empty()) << "ProgressChanged without a step: " << e;
        }
        if (signal == "Completed") {
            completed = true;
            EXPECT_EQ(e["args"][0], "done") << e;
        }
        if (signal == "PropertiesChanged" && e["interface"] == "org.zenith.Provisioner.Job" &&
            e["changed"].contains("State")) {
            stateChanged = true;
        }
    }
    EXPECT_TRUE(jobNew) << "no JobNew(" << id << ")";
    EXPECT_TRUE(completed);
    EXPECT_TRUE(stateChanged) << "no PropertiesChanged carrying the job's State";
    ASSERT_FALSE(progress.empty()) << "no ProgressChanged";
    for (size_t i = 1; i < progress.size(); ++i) {
        EXPECT_GE(progress[i], progress[i - 1]) << "progress went backwards";
    }
    EXPECT_GE(progress.front(), 0.0);
    EXPECT_LE(progress.back(), 1.0);
}

TEST(ForeignClient, BusctlIntrospectShowsArgumentNames)
{
    auto r = runProgram({"busctl", "--system", "introspect", "--xml-interface", "org.zenith.Provisioner",
                         "/org/zenith/Provisioner"},
                        outsiderUser());
    ASSERT_EQ(r.exitCode, 0) << r.err;
    for (const char* fragment :
         {"<interface name=\"org.zenith.Provisioner.Manager\">", "<interface name=\"org.freedesktop.DBus.ObjectManager\">",
          "name=\"backend\"", "name=\"spec\"", "name=\"flags\"", "name=\"new_name\"", "name=\"machines\"",
          "<signal name=\"JobRemoved\">", "name=\"result\""}) {
        EXPECT_NE(r.out.find(fragment), std::string::npos) << "introspection lacks " << fragment;
    }
}

TEST(ForeignClient, BusctlListMachinesAsAutomationUser)
{
    const std::string name = "busctl-box";
    MachineCleanup cleanup(name);
    ASSERT_EQ(createStoppedAsRoot(name), "done");

    auto r = runProgram({"setpriv", "--reuid=" + std::to_string(automationUser().uid),
                         "--regid=" + std::to_string(automationUser().gid), "--init-groups", "busctl", "--system",
                         "--json=short", "call", "org.zenith.Provisioner", "/org/zenith/Provisioner",
                         "org.zenith.Provisioner.Manager", "ListMachines"},
                        rootUser());
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto reply = json::parse(r.out);
    ASSERT_EQ(reply["type"], "a(sssso)");
    bool listed = false;
    for (const auto& row : reply["data"][0]) {
        if (row[0] == name) {
            listed = true;
            EXPECT_EQ(row[1], "nspawn");
            EXPECT_EQ(row[2], "stopped");
            EXPECT_EQ(row[4], "/org/zenith/Provisioner/machine/busctl_2dbox");
        }
    }
    EXPECT_TRUE(listed) << r.out;
}

}  // namespace
}  // namespace zenith::bustest
