// The one translation unit that defines the Boost.Test module of test_core.
#define BOOST_TEST_MODULE actraft_core
#include <boost/test/unit_test.hpp>
