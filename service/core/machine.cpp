#include "core/machine.h"

#include <array>
#include <utility>

namespace zenith::core {

namespace {
constexpr std::array<std::pair<MachineState, std::string_view>, 8> kMachineStates{{
    {MachineState::Creating, "creating"},
    {MachineState::Stopped, "stopped"},
    {MachineState::Starting, "starting"},
    {MachineState::Running, "running"},
    {MachineState::Stopping, "stopping"},
    {MachineState::Destroying, "destroying"},
    {MachineState::Template, "template"},
    {MachineState::Failed, "failed"},
}};
}  // namespace

std::string_view toString(MachineState s)
{
    for (const auto& [state, name] : kMachineStates)
        if (state == s)
            return name;
    return "failed";
}

std::optional<MachineState> machineStateFromString(std::string_view s)
{
    for (const auto& [state, name] : kMachineStates)
        if (name == s)
            return state;
    return std::nullopt;
}

}  // namespace zenith::core
