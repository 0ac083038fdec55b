/* lib/milter_proto.h: the milter protocol codec (being written). */
#ifndef MK_MILTER_PROTO_H
#define MK_MILTER_PROTO_H
#endif
