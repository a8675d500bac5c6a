# ctest "client-package": install the client component of BUILD_DIR into a
# fresh prefix, then configure, build and run the consumer against it.
foreach(var BUILD_DIR CONSUMER_DIR WORK_DIR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component client)
foreach(f include/zenith/client/client.h include/zenith/client/export.h bin/zenithctl
          share/bash-completion/completions/zenithctl)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(GLOB_RECURSE leaked ${prefix}/include/*_proxy.h ${prefix}/include/*_adaptor.h)
if(leaked)
  message(FATAL_ERROR "generated sdbus glue was installed: ${leaked}")
endif()

run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${build} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX})
run(${CMAKE_COMMAND} --build ${build})
run(${build}/consumer --connect unix:path=${WORK_DIR}/no-such-bus)
if(NOT last_output MATCHES "keys=3 busy=Busy" OR NOT last_output MATCHES "connect: Disconnected")
  message(FATAL_ERROR "unexpected consumer output: ${last_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
