// The one place that includes SOCI: storage/ includes it, and the stores of other
// components through sql.h; no header of an interface includes it.
//
// Debian's SOCI is built with Boost support, so soci/soci.h wants Boost headers for its
// optional Boost.Fusion/Optional/Tuple/Gregorian conversions. maskfleet uses none of them
// and Boost is not a build dependency, so the switches are turned off before the headers
// read them; they select header-only templates and change no class layout.
//
// The back ends are linked directly and their factories declared here rather than taken
// from soci/<backend>/soci-<backend>.h, which would pull in the client libraries' headers
// (sqlite3.h, libpq-fe.h, mysql.h) that nothing else needs. The factories are SOCI's
// stable C entry points, the same ones its dynamic back-end loader looks up.
#ifndef MASKFLEET_STORAGE_SOCI_HEADERS_H_
#define MASKFLEET_STORAGE_SOCI_HEADERS_H_

#include <soci/soci-config.h>
#undef SOCI_HAVE_BOOST
#undef SOCI_HAVE_BOOST_DATE_TIME
#include <soci/soci.h>
#include <soci/soci-backend.h>

extern "C" {
soci::backend_factory const* factory_sqlite3();
soci::backend_factory const* factory_postgresql();
soci::backend_factory const* factory_mysql();
}

#endif  // MASKFLEET_STORAGE_SOCI_HEADERS_H_
