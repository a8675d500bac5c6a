// The fuzz build raises __cpp_concepts so that libstdc++ 12 declares
// std::expected under clang 16 (why: CMakeLists.txt here). <expected> picks
// its special members with requires-clauses (P0848); if clang chose them
// wrongly, a Result would be copied or destroyed wrongly and the fuzzers
// would test a program the daemon is not. These are the properties gcc gives
// the same types; a clang that disagrees stops the build here.
#include <expected>
#include <string>
#include <type_traits>
#include <variant>

#include "core/error.h"
#include "core/spec.h"

#ifndef __cpp_lib_expected
#error "<expected> is still disabled: see the __cpp_concepts note in tests/fuzz/CMakeLists.txt"
#endif

namespace {

using zenith::core::Error;
using zenith::core::MachineSpec;
using zenith::core::Result;
using zenith::core::SpecValue;

// Trivial when both sides are: chosen by the constrained (= default) members.
static_assert(std::is_trivially_copy_constructible_v<std::expected<int, int>>);
static_assert(std::is_trivially_move_constructible_v<std::expected<int, int>>);
static_assert(std::is_trivially_destructible_v<std::expected<int, int>>);
static_assert(std::is_trivially_destructible_v<std::expected<void, int>>);

// Not trivial as soon as one side is not: the user-provided members win, so
// the std::string inside is really copied and destroyed.
static_assert(!std::is_trivially_destructible_v<Result<void>>);
static_assert(!std::is_trivially_copy_constructible_v<Result<void>>);
static_assert(!std::is_trivially_destructible_v<Result<std::string>>);
static_assert(!std::is_trivially_copy_constructible_v<Result<int>>);
static_assert(!std::is_trivially_move_constructible_v<Result<int>>);
static_assert(std::is_copy_constructible_v<Result<MachineSpec>> && std::is_move_constructible_v<Result<MachineSpec>>);
static_assert(std::is_copy_assignable_v<Result<std::string>> && std::is_move_assignable_v<Result<std::string>>);

// <variant> takes the same branch (union storage, constrained destructor).
static_assert(std::is_trivially_destructible_v<std::variant<int, double>>);
static_assert(!std::is_trivially_destructible_v<SpecValue::Variant>);
static_assert(!std::is_trivially_copy_constructible_v<SpecValue::Variant>);

// Behaviour, not only traits: copies and destructions of what a Result holds
// really run (std::string cannot be copied in a constant expression with
// clang 16 and libstdc++ 12, so a type that counts stands in for it).
struct Counted {
    int* copies;
    int* destroyed;
    constexpr Counted(int* c, int* d) : copies(c), destroyed(d) {}
    constexpr Counted(const Counted& o) : copies(o.copies), destroyed(o.destroyed) { ++*copies; }
    constexpr ~Counted() { ++*destroyed; }
};

constexpr bool specialMembersRun()
{
    int copies = 0, destroyed = 0;
    {
        std::expected<int, Counted> a = std::unexpected(Counted(&copies, &destroyed));
        int before = destroyed;
        std::expected<int, Counted> b = a;
        if (copies < 2 || b.has_value())  // into `a` (from the temporary), then into `b`
            return false;
        b = 7;  // destroys the error it held
        if (destroyed != before + 1)
            return false;
    }
    return destroyed >= 2;
}
static_assert(specialMembersRun());

}  // namespace
