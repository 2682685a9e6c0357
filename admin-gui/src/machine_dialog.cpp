#include "machine_dialog.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

#include "api_client.hpp"

namespace bk::admin {

MachineDialog::MachineDialog(ApiClient& api, const QJsonObject& existing, QWidget* parent)
    : QDialog(parent), api_(api), existing_(existing) {
  const bool editing = existing.contains("id");
  setWindowTitle(editing ? tr("Edit %1").arg(existing.value("hostname").toString()) : tr("Add machine"));
  auto* form = new QFormLayout;
  const auto add_line = [&](const QString& name, const QString& label, const QString& hint) {
    auto* edit = new QLineEdit(existing.value(name).toString());
    edit->setObjectName(name);
    edit->setPlaceholderText(hint);
    auto* error = new QLabel;
    error->setObjectName(name + "_error");
    error->setStyleSheet("color: #b00020");
    error->setWordWrap(true);
    auto* box = new QVBoxLayout;
    box->setSpacing(2);
    box->addWidget(edit);
    box->addWidget(error);
    form->addRow(label, box);
    edits_.insert(name, edit);
    errors_.insert(name, error);
  };
  add_line("mac", tr("MAC"), "52:54:00:12:34:56");
  add_line("hostname", tr("Host name"), "ws01");
  add_line("ip", tr("IPv4 address"), "198.18.0.50");
  image_ = new QComboBox;
  image_->setObjectName("image");
  image_->addItem(tr("(the subnet's default)"), QString());
  auto* image_error = new QLabel;
  image_error->setStyleSheet("color: #b00020");
  errors_.insert("image", image_error);
  auto* image_row = new QVBoxLayout;
  image_row->addWidget(image_);
  image_row->addWidget(image_error);
  form->addRow(tr("Image"), image_row);
  add_line("group", tr("Group"), tr("room-a"));
  enabled_ = new QCheckBox(tr("answered when it boots"));
  enabled_->setChecked(existing.value("enabled").toBool(true));
  form->addRow(tr("Enabled"), enabled_);
  auto* general = new QLabel;
  general->setStyleSheet("color: #b00020");
  general->setWordWrap(true);
  errors_.insert(QString(), general);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  save_ = buttons->button(QDialogButtonBox::Save);
  connect(buttons, &QDialogButtonBox::accepted, this, &MachineDialog::save);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(general);
  layout->addWidget(buttons);

  setMinimumWidth(480);  // room for the server's reasons beneath the fields
  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(300);
  connect(debounce_, &QTimer::timeout, this, &MachineDialog::check_now);
  for (auto* e : std::as_const(edits_))
    connect(e, &QLineEdit::textEdited, debounce_, qOverload<>(&QTimer::start));
  connect(image_, &QComboBox::currentIndexChanged, debounce_, qOverload<>(&QTimer::start));

  const QString current = existing.value("image").toString();
  api_.get("/api/v1/images?limit=1000", [this, current](const Result& r) {
    for (const auto& v : r.object().value("items").toArray()) {
      const QString name = v.toObject().value("name").toString();
      image_->addItem(name, name);
      if (name == current) image_->setCurrentIndex(image_->count() - 1);
    }
  });
}

QString MachineDialog::error_text(const QString& field) const {
  const auto* l = errors_.value(field);
  return l != nullptr ? l->text() : QString();
}

QJsonObject MachineDialog::machine() const {
  QJsonObject m;
  m["mac"] = edits_["mac"]->text().trimmed();
  m["hostname"] = edits_["hostname"]->text().trimmed();
  m["ip"] = edits_["ip"]->text().trimmed();
  if (!image_->currentData().toString().isEmpty()) m["image"] = image_->currentData().toString();
  if (!edits_["group"]->text().trimmed().isEmpty()) m["group"] = edits_["group"]->text().trimmed();
  m["enabled"] = enabled_->isChecked();
  // What this dialog does not edit stays as it was.
  if (existing_.contains("options")) m["options"] = existing_.value("options");
  return m;
}

void MachineDialog::show_errors(const Result& r) {
  for (auto it = errors_.begin(); it != errors_.end(); ++it)
    it.value()->clear();
  QStringList unplaced;
  for (auto it = r.field_errors.begin(); it != r.field_errors.end(); ++it) {
    QString field = it.key();
    field = field.section('.', 0, 0);  // "options.17" goes with the dialog's own line
    if (auto* label = errors_.value(field); label != nullptr && !field.isEmpty()) {
      label->setText(it.value());
    } else {
      unplaced << it.key() + " " + it.value();
    }
  }
  if (r.field_errors.isEmpty() && !r.ok()) unplaced << r.detail;
  errors_[QString()]->setText(unplaced.join('\n'));
}

void MachineDialog::check_now() {
  debounce_->stop();
  const int generation = ++check_generation_;
  // A dry run of importing this one machine: every rule of the server, nothing written.
  api_.send("POST", "/api/v1/machines/import?dry_run=true", QJsonArray{machine()},
            [this, generation](const Result& r) {
              if (generation != check_generation_) return;  // the user typed on
              show_errors(r);
              emit checked();
            });
}

void MachineDialog::save() {
  debounce_->stop();
  ++check_generation_;
  save_->setEnabled(false);
  const bool editing = existing_.contains("id");
  const QString path = editing ? "/api/v1/machines/" + QString::number(existing_.value("id").toInt())
                               : QStringLiteral("/api/v1/machines");
  api_.send(editing ? "PUT" : "POST", path, machine(), [this](const Result& r) {
    save_->setEnabled(true);
    show_errors(r);
    if (r.ok()) {
      emit saved(r.object());
      accept();
    }
  });
}

}  // namespace bk::admin
