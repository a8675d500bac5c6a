// What tests/harness/sandbox.sh hands the bus tests: the test users and the
// daemon's directories. The tests only make sense inside that sandbox (a
// private bus with the project's polkit files), so a missing variable is a
// hard failure, never a skip.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace zenith::bustest {

struct TestUser {
    std::string name;
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;  // supplementary
};

// The value of a variable the sandbox exports; aborts the run when unset.
std::string sandboxVar(const char* name);

const TestUser& rootUser();
const TestUser& automationUser();  // zenith-auto, member of zenith-automation
const TestUser& outsiderUser();    // zenith-outsider, in no project group

std::string machinesDir();
// <machines-dir>/<name>: the machine's root file system.
std::string rootfsPath(const std::string& machine);
bool rootfsExists(const std::string& machine);

}  // namespace zenith::bustest
