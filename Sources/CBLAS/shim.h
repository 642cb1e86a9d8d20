// OpenBLAS from the system (Debian's libopenblas-dev): cblas_sgemm for the encoder's and the
// similarity search's matrix products, and LAPACK's symmetric eigensolver (in libopenblas too).
#include <cblas.h>

/// LAPACK ssyevd (Fortran calling convention): eigenvalues (and optionally vectors) of a
/// symmetric matrix. Declared here because Debian ships no LAPACKE header with OpenBLAS.
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info);
