using Meshwork.Store.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Meshwork.Store.Configurations;

internal sealed class WorkloadCertificateRowEntityTypeConfiguration : IEntityTypeConfiguration<WorkloadCertificateRow>
{
    public void Configure(EntityTypeBuilder<WorkloadCertificateRow> builder)
    {
        builder.ToTable("workload_certificates");
        builder.HasKey(c => c.ProxyId);
        builder.Property(c => c.ProxyId).HasColumnName("proxy_id").HasMaxLength(253);
        builder.Property(c => c.SpiffeId).HasColumnName("spiffe_id").HasMaxLength(1000);
        builder.Property(c => c.CertificatePem).HasColumnName("certificate_pem");
        builder.Property(c => c.SubjectPublicKeyInfo).HasColumnName("subject_public_key_info");
        builder.Property(c => c.NotBefore).HasColumnName("not_before");
        builder.Property(c => c.NotAfter).HasColumnName("not_after");
        builder.Property(c => c.IssuedAt).HasColumnName("issued_at");
    }
}
