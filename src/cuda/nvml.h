/* nvml.h - the compute share's source of utilisation on a real GPU: NVML (loaded with dlopen),
 * the streaming-multiprocessor utilisation of the task's own processes on one device. */
#ifndef AL_CUDA_NVML_H
#define AL_CUDA_NVML_H

#include "ledger.h"

/* Loads libnvidia-ml.so.1 and initialises it; 0, or -1 where there is no NVML (nothing then). */
int al__nvml_open(void);

/* The percent of device dev's SMs (dev: a CUDA ordinal; uuid: its 16-byte UUID) that the
 * processes of the task (the pids in the ledger's rows, or this process alone when ledger is
 * NULL) used since the last call, at most 100; -1 when NVML could not say. Thread-compatible:
 * the caller serialises calls. */
int al__nvml_task_util(int dev, const unsigned char *uuid, const struct al__ledger *ledger);

#endif
