#ifndef BRIEFING_CCURL_SHIM_H
#define BRIEFING_CCURL_SHIM_H
#include <curl/curl.h>
#endif
