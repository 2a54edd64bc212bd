"""Initial schema of the case store: people, cases, DNA, candidates, reviews and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=True),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_log_prev_hash'))
    )
    op.create_table('dna_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample', sa.String(length=64), nullable=False),
    sa.Column('lab', sa.String(length=100), nullable=False),
    sa.Column('kit', sa.String(length=100), nullable=True),
    sa.Column('typed_on', sa.Date(), nullable=True),
    sa.Column('imported_by', sa.String(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('genotypes', sa.JSON(), nullable=False),
    sa.Column('marker_count', sa.Integer(), nullable=False),
    sa.Column('erased', sa.Boolean(), nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dna_samples')),
    sa.UniqueConstraint('sample', name=op.f('uq_dna_samples_sample'))
    )
    op.create_table('found_children',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=False),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('age_months', sa.Float(), nullable=True),
    sa.Column('age_sd_months', sa.Float(), nullable=True),
    sa.Column('age_assessed_on', sa.Date(), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=True),
    sa.Column('found_place', sa.Text(), nullable=True),
    sa.Column('found_lat', sa.Float(), nullable=True),
    sa.Column('found_lon', sa.Float(), nullable=True),
    sa.Column('care_location', sa.Text(), nullable=True),
    sa.Column('health_conditions', sa.Text(), nullable=True),
    sa.Column('marks', sa.Text(), nullable=True),
    sa.Column('ring_reference', sa.String(length=100), nullable=True),
    sa.Column('sample', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f('ck_found_children_sex')),
    sa.CheckConstraint('age_months IS NULL OR age_months >= 0', name=op.f('ck_found_children_age')),
    sa.CheckConstraint('age_sd_months IS NULL OR age_sd_months >= 0', name=op.f('ck_found_children_age_sd')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_found_children')),
    sa.UniqueConstraint('case_number', name=op.f('uq_found_children_case_number'))
    )
    op.create_index(op.f('ix_found_children_ring_reference'), 'found_children', ['ring_reference'])
    op.create_index(op.f('ix_found_children_sample'), 'found_children', ['sample'])
    op.create_table('missing_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_number', sa.String(length=64), nullable=False),
    sa.Column('child_name', sa.Text(), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('disappeared_on', sa.Date(), nullable=True),
    sa.Column('disappeared_place', sa.Text(), nullable=True),
    sa.Column('disappeared_lat', sa.Float(), nullable=True),
    sa.Column('disappeared_lon', sa.Float(), nullable=True),
    sa.Column('circumstances', sa.Text(), nullable=True),
    sa.Column('marks', sa.Text(), nullable=True),
    sa.Column('contact_name', sa.Text(), nullable=True),
    sa.Column('contact_phone', sa.Text(), nullable=True),
    sa.Column('contact_address', sa.Text(), nullable=True),
    sa.Column('multiple_missing', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f('ck_missing_reports_sex')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_missing_reports_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_reports')),
    sa.UniqueConstraint('report_number', name=op.f('uq_missing_reports_report_number'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('investigator', 'lab_analyst', 'caseworker', 'family', 'public')",
        name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('name', name=op.f('uq_users_name'))
    )
    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('found_child_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('dna_lr', sa.Float(), nullable=True),
    sa.Column('dna_log10_lr', sa.Float(), nullable=True),
    sa.Column('inconsistent_markers', sa.Integer(), nullable=True),
    sa.Column('markers_compared', sa.Integer(), nullable=True),
    sa.Column('sex_lr', sa.Float(), nullable=True),
    sa.Column('age_lr', sa.Float(), nullable=True),
    sa.Column('time_lr', sa.Float(), nullable=True),
    sa.Column('prior', sa.Float(), nullable=True),
    sa.Column('posterior', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('reunited', 'referred_for_investigation', 'placed_in_care')",
        name=op.f('ck_candidates_outcome')),
    sa.CheckConstraint("status IN ('new', 'under_review', 'confirmation_requested', 'confirmed', 'excluded')",
        name=op.f('ck_candidates_status')),
    sa.ForeignKeyConstraint(['found_child_id'], ['found_children.id'],
        name=op.f('fk_candidates_found_child_id_found_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['missing_reports.id'],
        name=op.f('fk_candidates_report_id_missing_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates')),
    sa.UniqueConstraint('found_child_id', 'report_id', name=op.f('uq_candidates_found_child_id_report_id'))
    )
    op.create_index(op.f('ix_candidates_found_child_id'), 'candidates', ['found_child_id'])
    op.create_index(op.f('ix_candidates_report_id'), 'candidates', ['report_id'])
    op.create_index(op.f('ix_candidates_status'), 'candidates', ['status'])
    op.create_table('pedigree_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('father', sa.String(length=64), nullable=True),
    sa.Column('mother', sa.String(length=64), nullable=True),
    sa.Column('sex', sa.String(length=10), nullable=False),
    sa.Column('sample', sa.String(length=64), nullable=True),
    sa.Column('missing', sa.Boolean(), nullable=False),
    sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f('ck_pedigree_members_sex')),
    sa.ForeignKeyConstraint(['report_id'], ['missing_reports.id'],
        name=op.f('fk_pedigree_members_report_id_missing_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pedigree_members')),
    sa.UniqueConstraint('report_id', 'member_id', name=op.f('uq_pedigree_members_report_id_member_id'))
    )
    op.create_index(op.f('ix_pedigree_members_report_id'), 'pedigree_members', ['report_id'])
    op.create_index(op.f('ix_pedigree_members_sample'), 'pedigree_members', ['sample'])
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('found_child_id', sa.Integer(), nullable=True),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(found_child_id IS NULL) <> (report_id IS NULL)', name=op.f('ck_photos_one_owner')),
    sa.ForeignKeyConstraint(['found_child_id'], ['found_children.id'],
        name=op.f('fk_photos_found_child_id_found_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['missing_reports.id'],
        name=op.f('fk_photos_report_id_missing_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    op.create_index(op.f('ix_photos_found_child_id'), 'photos', ['found_child_id'])
    op.create_index(op.f('ix_photos_report_id'), 'photos', ['report_id'])
    op.create_index(op.f('ix_photos_sha256'), 'photos', ['sha256'])
    op.create_table('reference_donors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('relation', sa.String(length=40), nullable=False),
    sa.Column('consent_given', sa.Boolean(), nullable=True),
    sa.Column('consent_scope', sa.Text(), nullable=True),
    sa.Column('sample', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['missing_reports.id'],
        name=op.f('fk_reference_donors_report_id_missing_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_donors')),
    sa.UniqueConstraint('report_id', 'member_id', name=op.f('uq_reference_donors_report_id_member_id'))
    )
    op.create_index(op.f('ix_reference_donors_report_id'), 'reference_donors', ['report_id'])
    op.create_index(op.f('ix_reference_donors_sample'), 'reference_donors', ['sample'])
    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=False),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
        name=op.f('fk_reviews_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    op.create_index(op.f('ix_reviews_candidate_id'), 'reviews', ['candidate_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_reviews_candidate_id'), table_name='reviews')
    op.drop_table('reviews')
    op.drop_index(op.f('ix_reference_donors_sample'), table_name='reference_donors')
    op.drop_index(op.f('ix_reference_donors_report_id'), table_name='reference_donors')
    op.drop_table('reference_donors')
    op.drop_index(op.f('ix_photos_sha256'), table_name='photos')
    op.drop_index(op.f('ix_photos_report_id'), table_name='photos')
    op.drop_index(op.f('ix_photos_found_child_id'), table_name='photos')
    op.drop_table('photos')
    op.drop_index(op.f('ix_pedigree_members_sample'), table_name='pedigree_members')
    op.drop_index(op.f('ix_pedigree_members_report_id'), table_name='pedigree_members')
    op.drop_table('pedigree_members')
    op.drop_index(op.f('ix_candidates_status'), table_name='candidates')
    op.drop_index(op.f('ix_candidates_report_id'), table_name='candidates')
    op.drop_index(op.f('ix_candidates_found_child_id'), table_name='candidates')
    op.drop_table('candidates')
    op.drop_table('users')
    op.drop_table('missing_reports')
    op.drop_index(op.f('ix_found_children_sample'), table_name='found_children')
    op.drop_index(op.f('ix_found_children_ring_reference'), table_name='found_children')
    op.drop_table('found_children')
    op.drop_table('dna_samples')
    op.drop_table('audit_log')
