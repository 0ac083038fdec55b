/* lib/milter_proto.c: the milter protocol codec (being written). */
#include "config.h"

#include "lib/milter_proto.h"
