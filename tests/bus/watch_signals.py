#!/usr/bin/python3
"""A client the project did not write: python3-dbus on the system bus.

Subscribes to the Manager's JobNew/JobRemoved/MachineNew, every job's
ProgressChanged/Completed and PropertiesChanged, and prints one JSON object a
line. Prints {"event": "ready"} once the subscriptions are in place, and exits
0 after the Completed signal of the first job for --machine (3 on timeout).
"""
import argparse
import json
import sys

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

BUS_NAME = "org.zenith.Provisioner"
MANAGER = "org.zenith.Provisioner.Manager"
JOB = "org.zenith.Provisioner.Job"
PROPERTIES = "org.freedesktop.DBus.Properties"
JOB_PREFIX = "/org/zenith/Provisioner/job/"


def plain(value):
    """dbus-python types -> JSON-able values."""
    if isinstance(value, (dbus.Boolean,)):
        return bool(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.Int32, dbus.Int64, dbus.UInt16, dbus.UInt32, dbus.UInt64)):
        return int(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, dbus.Dictionary):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(v) for v in value]
    return value


def emit(record):
    print(json.dumps(record), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--machine", required=True)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    loop = GLib.MainLoop()
    watched = set()  # job paths of --machine
    status = {"code": 3}

    def on_manager(*values, member=None, path=None):
        emit({"signal": member, "path": path, "args": plain(list(values))})
        if member == "JobNew":
            job_path = str(values[1])
            try:
                machine = bus.get_object(BUS_NAME, job_path).Get(JOB, "Machine", dbus_interface=PROPERTIES)
            except dbus.DBusException as e:
                emit({"error": "reading Machine of %s: %s" % (job_path, e)})
                return
            if str(machine) == args.machine:
                watched.add(job_path)

    def on_job(*values, member=None, path=None):
        emit({"signal": member, "path": path, "args": plain(list(values))})
        if member == "Completed" and path in watched:
            status["code"] = 0
            loop.quit()

    def on_properties(interface, changed, invalidated, path=None):
        if not str(path).startswith(JOB_PREFIX):
            return
        emit({"signal": "PropertiesChanged", "path": path, "interface": str(interface),
              "changed": plain(changed), "invalidated": plain(invalidated)})

    bus.add_signal_receiver(on_manager, dbus_interface=MANAGER, bus_name=BUS_NAME,
                            member_keyword="member", path_keyword="path")
    bus.add_signal_receiver(on_job, dbus_interface=JOB, bus_name=BUS_NAME,
                            member_keyword="member", path_keyword="path")
    bus.add_signal_receiver(on_properties, signal_name="PropertiesChanged", dbus_interface=PROPERTIES,
                            bus_name=BUS_NAME, path_keyword="path")
    # A round trip after the AddMatch calls: once it returns, the bus has
    # every match rule, so no signal sent after "ready" can be missed.
    bus.get_name_owner(BUS_NAME)
    emit({"event": "ready"})

    def on_timeout():
        emit({"event": "timeout"})
        loop.quit()
        return False

    GLib.timeout_add(int(args.timeout * 1000), on_timeout)
    loop.run()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
