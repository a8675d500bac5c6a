// The operations the table lists, one accessor per file (static objects in a
// static library are dropped unless referenced, so the table names each).
#pragma once

#include "core/ops/operation.h"

namespace zenith::core::ops {

const Operation& createOperation();
const Operation& cloneOperation();
const Operation& destroyOperation();
const Operation& startOperation();
const Operation& stopOperation();
const Operation& templateOperation();
const Operation& backupOperation();
const Operation& addForwardOperation();
const Operation& removeForwardOperation();

}  // namespace zenith::core::ops
