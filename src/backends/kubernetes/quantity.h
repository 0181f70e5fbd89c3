/* quantity.h - Kubernetes resource quantities ("500m", "80Gi", "1.5", "2e3") as the integers
 * allot counts in: thousandths (CPU millicores, milli-GPUs) or whole units (bytes). */
#ifndef ALLOT_BACKENDS_KUBERNETES_QUANTITY_H
#define ALLOT_BACKENDS_KUBERNETES_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

/*
 * al__kube_quantity - text as a Kubernetes quantity (a decimal number, optionally signed, with
 * an optional suffix: n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or an exponent e3/E3) times
 * 10^scale (scale 3: thousandths, 0: units), rounded away from zero as Kubernetes'
 * Quantity.Value and MilliValue round (a request never counts for less than it is). 0 on
 * success; -AL_EINVAL when text is not a quantity (why, with the offending part, in why);
 * -AL_ERANGE when the value does not fit an int64.
 */
int al__kube_quantity(const char *text, int scale, int64_t *out, char *why, size_t size);

#endif
