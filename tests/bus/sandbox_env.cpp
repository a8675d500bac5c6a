#include "sandbox_env.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace zenith::bustest {

std::string sandboxVar(const char* name)
{
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        std::fprintf(stderr, "%s is not set: run the bus tests through tests/harness/sandbox.sh\n", name);
        std::abort();
    }
    return value;
}

namespace {

uint32_t idVar(const char* name)
{
    return static_cast<uint32_t>(std::stoul(sandboxVar(name)));
}

}  // namespace

const TestUser& rootUser()
{
    static const TestUser user{"root", 0, 0, {0}};
    return user;
}

const TestUser& automationUser()
{
    static const TestUser user{"zenith-auto", idVar("ZENITH_AUTO_UID"), idVar("ZENITH_AUTOMATION_GID"),
                               {idVar("ZENITH_AUTOMATION_GID")}};
    return user;
}

const TestUser& outsiderUser()
{
    static const TestUser user{"zenith-outsider", idVar("ZENITH_OUTSIDER_UID"), idVar("ZENITH_OUTSIDER_GID"),
                               {idVar("ZENITH_OUTSIDER_GID")}};
    return user;
}

std::string machinesDir()
{
    return sandboxVar("ZENITH_MACHINES_DIR");
}

std::string rootfsPath(const std::string& machine)
{
    return machinesDir() + "/" + machine;
}

bool rootfsExists(const std::string& machine)
{
    return std::filesystem::exists(rootfsPath(machine));
}

}  // namespace zenith::bustest
